"""The chat page's Cognito mode in a real browser: hosted UI sign-in with PKCE, the bearer token, a 401.

The stack runs with ``COGNITO_DOMAIN`` / ``COGNITO_CLIENT_ID`` set, so ``GET /`` embeds the Cognito
config; :class:`~tests.browser.hosted_ui.HostedUi` plays the user pool's hosted UI and
:class:`~tests.browser.proxy.ApiProxy` plays API Gateway's Cognito authorizer in front of the stack
(the page is public; the API answers 401 without a valid token and otherwise sees the token's user).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ConsoleCheck
from tests.browser.hosted_ui import CLIENT_ID, HostedUi
from tests.browser.page import ChatPage
from tests.browser.proxy import ApiProxy
from tests.support.stack import http_stack


@dataclass
class Served:
    proxy: ApiProxy
    hosted_ui: HostedUi

    @property
    def url(self) -> str:
        return self.proxy.url + "/"


@pytest.fixture(scope="module")
def served(chromium: Any) -> Iterator[Served]:
    hosted_ui = HostedUi().start()
    try:
        environ = {"COGNITO_DOMAIN": hosted_ui.origin, "COGNITO_CLIENT_ID": CLIENT_ID}
        with http_stack(environ=environ) as stack:
            proxy = ApiProxy(stack.url, authorizer=hosted_ui.user_of).start()
            hosted_ui.redirect_uri = proxy.url + "/"
            try:
                yield Served(proxy, hosted_ui)
            finally:
                proxy.stop()
    finally:
        hosted_ui.stop()


@pytest.fixture
def page(driver: Any, served: Served, console: ConsoleCheck) -> ChatPage:
    served.hosted_ui.authorizations.clear()
    served.hosted_ui.redemptions.clear()
    return ChatPage(driver, served.url)


def test_the_page_signs_in_through_the_hosted_ui_with_pkce(page: ChatPage, served: Served) -> None:
    page.open(fresh=True)  # no token: to the hosted UI and back, then ready

    (authorization,) = served.hosted_ui.authorizations
    assert authorization["redirect_uri"] == served.url and authorization["client_id"] == CLIENT_ID
    assert authorization["code_challenge_method"] == "S256" and len(authorization["state"]) >= 32
    (redemption,) = served.hosted_ui.redemptions
    assert 43 <= len(redemption["code_verifier"]) <= 128  # RFC 7636
    assert page.driver.current_url == served.url  # the code is gone from the address bar
    token = page.driver.execute_script("return sessionStorage.getItem('durable-agents.idToken')")
    assert token and served.hosted_ui.user_of(f"Bearer {token}") == served.hosted_ui.sub
    stored = page.driver.execute_script("return JSON.stringify(Object.assign({}, localStorage))")
    assert token not in stored and "durable-agents.userId" not in json.loads(stored)
    assert page.by_id("who").text == "traveller@example.com"

    page.send("Plan a trip to Lisbon")
    chat = served.proxy.requests("POST", "/chat")[-1]
    assert chat.status == 200 and chat.header("Authorization") == f"Bearer {token}"
    assert chat.header("X-User-Id") is None  # the authorizer names the caller, not the page
    assert page.facts()["Destination"].startswith("Lisbon")
    page.reload()  # the token is kept for the tab: no new sign-in
    assert len(served.hosted_ui.authorizations) == 1 and len(page.messages()) == 2


def test_a_401_sends_the_user_to_sign_in_again_and_keeps_the_draft(
    page: ChatPage, served: Served, console: ConsoleCheck
) -> None:
    console.expect("status of 401")
    page.open(fresh=True)
    assert len(served.hosted_ui.authorizations) == 1
    served.hosted_ui.revoke_all()
    page.type("Hotels in Porto")
    page.press_enter()
    page.wait(lambda _: len(served.hosted_ui.redemptions) == 2)
    page.wait_ready()
    assert len(served.hosted_ui.authorizations) == 2
    assert served.proxy.requests("POST", "/chat")[-1].status == 401
    assert page.input.get_attribute("value") == "Hotels in Porto"
    page.press_enter()
    page.wait_turn_over(0)
    assert page.error() is None and page.messages()[0].text == "Hotels in Porto"


def test_a_refused_sign_in_is_shown_with_a_way_to_try_again(page: ChatPage, served: Served) -> None:
    page.open(fresh=True)
    page.driver.get(served.url + "?error=access_denied&error_description=The+user+cancelled")
    error = page.wait(lambda _: page.error())
    assert error.startswith("Sign-in did not complete (The user cancelled).")
    assert urlsplit(page.driver.current_url).query == ""
    assert not page.input.is_enabled()
    page.by_id("error-action").click()  # "Sign in again"
    page.wait_ready()
    assert page.input.is_enabled() and page.error() is None
