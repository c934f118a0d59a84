/*
 * The chat page's script, plain JavaScript with no library and no build step. durable_agents.web
 * inlines it into the page and allows it by its hash in the Content-Security-Policy.
 *
 * - Identity: {"auth": null} in the page's config (the local stack) = a random local user id made
 *   once (localStorage) and sent as X-User-Id; {"auth": {"type": "cognito", ...}} = sign in through
 *   the user pool's hosted UI (authorization code + PKCE), keep the id token in sessionStorage, send
 *   it as "Authorization: Bearer", sign in again on a 401.
 * - API: POST chat, GET sessions, GET sessions/{id}, relative to the page's own path (so the page
 *   works at / locally and under the stage path in AWS). Every turn carries an Idempotency-Key; a turn
 *   sent again after a failure (same text) reuses it, so a lost answer is not run twice.
 * - Text from the user or the agent is only ever set as text (textContent, text nodes): the page's
 *   CSP requires Trusted Types, so assigning markup from a string would throw anyway.
 * - Live: the page keeps a WebSocket to the live API (locally ws://<host>/ws?userId=..., in AWS the
 *   stack's WebSocket URL with ?token=<id token>) and subscribes to the current session. Events come
 *   as they happen: a turn's tool progress and streamed text (provisional, shown in a "working" bubble),
 *   committed turns (its own, and those of another tab), the trip (state), reminders and alerts (push).
 *   A dropped socket reconnects with backoff and resumes with the last seq it saw ("after"); a "reset"
 *   or a partial event makes it read the session once (GET sessions/{id}).
 * - Polling is only the fallback: while the socket is not connected and the tab is visible the page
 *   reads the current session every POLL_MS and appends the turns after the newest one it has seen (by
 *   seq); turns it has shown already (its own, or from the socket) are recognised by their text and not
 *   shown twice. Hidden: no polling; visible again: a poll at once.
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("config").textContent || "{}");
  const BASE = location.pathname.endsWith("/") ? location.pathname : `${location.pathname}/`;
  const PAGE_URL = location.origin + BASE;
  const KEY = {
    user: "durable-agents.userId",
    session: "durable-agents.sessionId",
    token: "durable-agents.idToken",
    pkce: "durable-agents.pkce",
    draft: "durable-agents.draft",
  };
  const TURNS_PER_PAGE = 50;
  const POLL_MS = 3000;
  const POLL_TURNS = 20;
  const TAGS = {
    clarification: "question",
    reminder: "reminder",
    price_alert: "price alert",
    notice: "notice",
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    who: $("who"),
    tripsPanel: $("trips-panel"),
    newTrip: $("new-trip"),
    tripList: $("trip-list"),
    tripsEmpty: $("trips-empty"),
    older: $("older"),
    messages: $("messages"),
    welcome: $("welcome"),
    form: $("composer"),
    input: $("input"),
    send: $("send"),
    status: $("status"),
    error: $("error"),
    errorText: $("error-text"),
    errorAction: $("error-action"),
    facts: $("trip-facts"),
    tripEmpty: $("trip-empty"),
    budget: $("budget"),
    budgetText: $("budget-text"),
    budgetMeter: $("budget-meter"),
    budgetNote: $("budget-note"),
    plan: $("plan"),
    planOffline: $("plan-offline"),
    planSummary: $("plan-summary"),
    planNotes: $("plan-notes"),
    flights: $("flights"),
    flightRows: $("flight-rows"),
    hotels: $("hotels"),
    hotelRows: $("hotel-rows"),
    itinerary: $("itinerary"),
    days: $("days"),
    costs: $("costs"),
  };

  // --- small helpers -------------------------------------------------------------------------------

  /** An element with attributes and children; strings become text nodes (never parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    node.append(...children.filter((child) => child !== undefined && child !== null && child !== ""));
    return node;
  }

  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const list = (value) => (Array.isArray(value) ? value : []);
  const text = (value) =>
    typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
  const count = (value) => (Number.isFinite(value) ? value : null);

  function store(kind) {
    try {
      return kind === "local" ? window.localStorage : window.sessionStorage;
    } catch {
      return null;
    }
  }
  function load(kind, key) {
    try {
      return store(kind)?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }
  function save(kind, key, value) {
    try {
      if (value === null) store(kind)?.removeItem(key);
      else store(kind)?.setItem(key, value);
    } catch {
      /* storage full or disabled: the page still works, it just forgets on reload */
    }
  }

  function randomId(bytes = 16) {
    const data = crypto.getRandomValues(new Uint8Array(bytes));
    return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function base64url(bytes) {
    let binary = "";
    for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function plural(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function money(value) {
    if (!isObject(value) || !Number.isFinite(value.amount)) return "";
    const currency = text(value.currency);
    try {
      return new Intl.NumberFormat(undefined, {
        style: "currency",
        currency,
        maximumFractionDigits: value.amount % 1 === 0 ? 0 : 2,
      }).format(value.amount);
    } catch {
      return `${value.amount} ${currency}`.trim();
    }
  }

  /** "2027-05-15" -> "Sat, May 15, 2027" (or without the year: "Sat, May 15"). */
  function day(iso, withYear = true) {
    if (typeof iso !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) return text(iso);
    const date = new Date(`${iso}T00:00:00Z`);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(undefined, {
      weekday: "short",
      day: "numeric",
      month: "short",
      year: withYear ? "numeric" : undefined,
      timeZone: "UTC",
    }).format(date);
  }

  function moment(iso) {
    const date = new Date(text(iso));
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
  }

  function country(code) {
    if (typeof code !== "string" || !code) return "";
    try {
      return new Intl.DisplayNames(undefined, { type: "region" }).of(code) || code;
    } catch {
      return code;
    }
  }

  function place(value) {
    if (typeof value === "string") return value;
    if (!isObject(value)) return "";
    const name = text(value.name);
    const land = country(value.country);
    return land && land !== name ? `${name}, ${land}` : name;
  }

  // --- identity ------------------------------------------------------------------------------------

  /** Local mode: a random user id made once and kept in localStorage, sent as X-User-Id. */
  function localIdentity() {
    let user = load("local", KEY.user);
    if (!user || !/^local-[0-9a-f]{32}$/.test(user)) {
      user = `local-${randomId()}`;
      save("local", KEY.user, user);
    }
    return {
      label: `Local user ${user.slice(6, 14)}`,
      storageScope: user,
      async ready() {
        return true;
      },
      headers: () => ({ "X-User-Id": user }),
      liveQuery: () => `userId=${encodeURIComponent(user)}`,
      unauthorized() {
        return false;
      },
    };
  }

  /** Cognito mode: the hosted UI's authorization code flow with PKCE, the id token in sessionStorage. */
  function cognitoIdentity(auth) {
    const origin = text(auth.domain).replace(/\/+$/, "");
    const clientId = text(auth.clientId);
    let token = load("session", KEY.token);

    function claims(jwt) {
      try {
        const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
        return JSON.parse(atob(part));
      } catch {
        return null;
      }
    }

    function fresh(jwt) {
      const payload = jwt ? claims(jwt) : null;
      return Boolean(payload && Number.isFinite(payload.exp) && payload.exp * 1000 > Date.now() + 30000);
    }

    let leaving = false; // one redirect at a time: a second would overwrite the first's PKCE state

    async function signIn() {
      if (leaving) return;
      leaving = true;
      const verifier = base64url(crypto.getRandomValues(new Uint8Array(48)));
      const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
      const state = randomId();
      save("session", KEY.pkce, JSON.stringify({ verifier, state }));
      save("session", KEY.token, null);
      if (ui.input.value.trim()) save("session", KEY.draft, ui.input.value); // typed, not sent: kept
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: PAGE_URL,
        scope: "openid email",
        state,
        code_challenge_method: "S256",
        code_challenge: challenge,
      });
      location.assign(`${origin}/oauth2/authorize?${query}`);
    }

    async function redeem(code, state) {
      const saved = JSON.parse(load("session", KEY.pkce) || "null");
      save("session", KEY.pkce, null);
      if (!saved || saved.state !== state)
        throw new Error("the sign-in answer does not match this page's request");
      const response = await fetch(`${origin}/oauth2/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: clientId,
          code,
          redirect_uri: PAGE_URL,
          code_verifier: saved.verifier,
        }),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok || !body || typeof body.id_token !== "string") {
        throw new Error(text(body && body.error) || `the token request failed (${response.status})`);
      }
      return body.id_token;
    }

    const identity = {
      label: "",
      storageScope: "",
      async ready() {
        const params = new URLSearchParams(location.search);
        if (params.has("error")) {
          history.replaceState(null, "", PAGE_URL);
          const reason = params.get("error_description") || params.get("error");
          showError(`Sign-in did not complete (${reason}).`, { label: "Sign in again", run: signIn });
          return false;
        }
        if (params.has("code")) {
          history.replaceState(null, "", PAGE_URL);
          try {
            token = await redeem(params.get("code"), params.get("state"));
            save("session", KEY.token, token);
          } catch (error) {
            showError(`Sign-in did not complete: ${error.message}.`, { label: "Sign in again", run: signIn });
            return false;
          }
        }
        if (!fresh(token)) {
          await signIn();
          return false;
        }
        const payload = claims(token) || {};
        identity.label = text(payload.email) || text(payload["cognito:username"]) || "Signed in";
        identity.storageScope = text(payload.sub);
        return true;
      },
      headers: () => ({ Authorization: `Bearer ${token}` }),
      liveQuery: () => `token=${encodeURIComponent(token || "")}`,
      unauthorized() {
        token = null;
        signIn();
        return true;
      },
    };
    return identity;
  }

  const identity =
    isObject(config.auth) && config.auth.type === "cognito" ? cognitoIdentity(config.auth) : localIdentity();

  // --- the API -------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  /** One API call. A background call (a poll) never starts a sign-in on a 401: the next turn does. */
  async function api(method, path, body, headers, background = false) {
    let response;
    let payload = null;
    try {
      response = await fetch(BASE + path, {
        method,
        headers: {
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...identity.headers(),
          ...(headers || {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
      payload = await response.json().catch(() => null);
    } catch {
      throw new ApiError(0, "network", "network failure");
    }
    if (response.status === 401 && !background && identity.unauthorized()) {
      throw new ApiError(401, "signing_in", "signing in again");
    }
    if (!response.ok) {
      const error = isObject(payload) && isObject(payload.error) ? payload.error : {};
      throw new ApiError(
        response.status,
        text(error.code) || `http_${response.status}`,
        text(error.message),
        response.headers.get("Retry-After"),
      );
    }
    if (!isObject(payload)) throw new ApiError(response.status, "bad_response", "the answer was not JSON");
    return payload;
  }

  /** What went wrong, in plain words, and what the person can do about it. */
  function describe(error) {
    if (!(error instanceof ApiError)) return "Something went wrong in this page. Reload it and try again.";
    const detail = error.message ? ` (${error.message})` : "";
    switch (error.status) {
      case 0:
        return "Could not reach the server. Check your connection, then send again.";
      case 400:
        return `The server did not accept that message${detail}. Change it and send again.`;
      case 401: // only without a sign-in configured: in Cognito mode a 401 goes to the hosted UI
        return (
          "This server needs you to sign in, but this page has no sign-in set up " +
          "(CognitoDomain, CognitoClientId)."
        );
      case 403:
        return "This trip belongs to another user, so it cannot be opened here.";
      case 404:
        return "This trip could not be found: it may have expired or been deleted.";
      case 413:
        return "That message is too long. Shorten it and send again.";
      case 429:
        return "Too many requests just now. Wait a moment, then send again.";
      case 503: {
        const seconds = Number.parseInt(error.retryAfter || "", 10);
        const wait =
          Number.isFinite(seconds) && seconds > 0 ? `in ${plural(seconds, "second")}` : "in a moment";
        return `The assistant is busy right now. Please try again ${wait}.`;
      }
      default:
        return error.status >= 500
          ? `The server had a problem (error ${error.status}). Please try again in a moment.`
          : `The request failed (error ${error.status})${detail}.`;
    }
  }

  // --- page state ----------------------------------------------------------------------------------

  const state = {
    sessionId: null,
    view: 0, // changes whenever another conversation is shown: late answers for the old one are dropped
    busy: false,
    cursor: null,
    retry: null, // {text, key}: the last turn that failed, sent again with the same Idempotency-Key
    slots: {},
    plan: null,
    seq: 0, // the newest transcript turn seen (shown, or recognised as one of this page's own)
    unsynced: [], // {role, content} this page showed from its own answers, not yet seen in a poll
    turns: 0, // counts turns sent: a poll that overlaps one is dropped (that turn's answer shows it)
    polling: false,
    pollable: false, // false once the session is gone (404): no more polls until another one is opened
    own: [], // {text, shown, heard}: this page's turns in flight, shown from the answer or the socket
  };

  function sessionKey() {
    return `${KEY.session}:${identity.storageScope}`;
  }

  function setSession(id) {
    const changed = (id || null) !== state.sessionId;
    state.sessionId = id || null;
    save("local", sessionKey(), state.sessionId);
    if (changed) subscribeLive();
    for (const button of ui.tripList.querySelectorAll("button[data-session]")) {
      button.setAttribute("aria-current", String(button.dataset.session === state.sessionId));
    }
  }

  function setBusy(busy) {
    state.busy = busy;
    ui.input.disabled = busy;
    ui.send.disabled = busy;
    ui.status.textContent = busy ? "The assistant is working on your trip…" : "";
  }

  function showError(message, action) {
    ui.errorText.textContent = message;
    ui.error.hidden = false;
    ui.errorAction.hidden = !action;
    ui.errorAction.textContent = action ? action.label : "";
    ui.errorAction.onclick = action ? () => action.run() : null;
  }

  function clearError() {
    ui.error.hidden = true;
    ui.errorText.textContent = "";
    ui.errorAction.hidden = true;
  }

  // --- the conversation ----------------------------------------------------------------------------

  function sourcesLine(sources) {
    const items = list(sources).filter(isObject);
    if (!items.length) return null;
    const line = el("p", { class: "sources" }, "Sources: ");
    items.forEach((source, index) => {
      if (index) line.append(", ");
      const name = text(source.name) || "source";
      const url = text(source.url);
      line.append(
        /^https?:\/\//i.test(url)
          ? el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, name)
          : name,
      );
      if (source.offline === true) line.append(el("span", { class: "tag" }, "offline sample data"));
    });
    return line;
  }

  /** "**bold**" inside a line: text nodes and <strong> elements (whose content is text too). */
  function inline(line) {
    return line.split(/\*\*(.+?)\*\*/).map((part, index) => (index % 2 ? el("strong", {}, part) : part));
  }

  /**
   * The agent's answer laid out as it reads: paragraphs, "- item" lines as lists, a "**Title**" line as a
   * heading, "**bold**" in a line. Only elements and text nodes are made; nothing is parsed as HTML.
   */
  function richText(content) {
    const box = el("div", { class: "text" });
    for (const block of text(content).split(/\n\s*\n/)) {
      let bullets = null;
      let paragraph = null;
      for (const line of block.split("\n")) {
        const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
        const heading = /^\s*\*\*([^*]+)\*\*:?\s*$/.exec(line);
        if (bullet) {
          if (!bullets) box.append((bullets = el("ul", {})));
          bullets.append(el("li", {}, ...inline(bullet[1])));
          paragraph = null;
        } else if (heading) {
          box.append(el("p", { class: "heading" }, el("strong", {}, heading[1])));
          bullets = paragraph = null;
        } else if (line.trim()) {
          if (paragraph) paragraph.append(el("br", {}));
          else box.append((paragraph = el("p", {})));
          paragraph.append(...inline(line));
          bullets = null;
        }
      }
    }
    return box;
  }

  function messageItem(role, content, extra) {
    const item = el(
      "li",
      { class: `msg ${role}`, "data-role": role },
      el(
        "p",
        { class: "from" },
        role === "user" ? "You" : "Assistant",
        extra && TAGS[extra.type] ? el("span", { class: "tag" }, TAGS[extra.type]) : null,
      ),
      role === "user" ? el("p", { class: "text" }, text(content)) : richText(content),
    );
    if (extra) {
      const line = sourcesLine(extra.sources);
      if (line) item.append(line);
    }
    return item;
  }

  function addMessage(role, content, extra) {
    const item = messageItem(role, content, extra);
    ui.messages.append(item);
    ui.welcome.hidden = true;
    item.scrollIntoView({ block: role === "user" ? "nearest" : "start" }); // an answer is read from its top
    return item;
  }

  function clearConversation() {
    ui.messages.replaceChildren();
    ui.welcome.hidden = false;
    ui.older.hidden = true;
    state.cursor = null;
    state.slots = {};
    state.plan = null;
    state.seq = 0;
    state.unsynced = [];
    state.pollable = false;
    renderTrip();
  }

  function turnItems(turns) {
    return list(turns)
      .filter((turn) => isObject(turn) && (turn.role === "user" || turn.role === "agent"))
      .map((turn) =>
        messageItem(turn.role, turn.content, turn.role === "agent" ? { type: turn.type } : null),
      );
  }

  async function send() {
    const message = ui.input.value.trim();
    if (!message || state.busy) return;
    const key = state.retry && state.retry.text === message ? state.retry.key : randomId();
    state.retry = { text: message, key };
    const view = state.view;
    state.turns += 1;
    clearError();
    setBusy(true);
    const mine = addMessage("user", message);
    const own = { text: message, shown: false, heard: false };
    state.own.push(own);
    try {
      const body = { message, ...(state.sessionId ? { sessionId: state.sessionId } : {}) };
      const answer = await api("POST", "chat", body, { "Idempotency-Key": key });
      state.retry = null;
      if (view !== state.view) return; // another trip is shown now; the list below still updates
      ui.input.value = "";
      if (typeof answer.sessionId === "string") setSession(answer.sessionId);
      if (!own.shown) {
        own.shown = true; // the socket's event for it, when it comes, is not shown again
        clearStream();
        addMessage("agent", answer.content, answer);
        state.unsynced.push(
          { role: "user", content: message },
          { role: "agent", content: text(answer.content) },
        );
      }
      state.pollable = true;
      const data = isObject(answer.data) ? answer.data : {};
      if (isObject(data.slots)) state.slots = data.slots;
      if (isObject(data.plan)) state.plan = data.plan;
      renderTrip();
    } catch (error) {
      state.own = state.own.filter((item) => item !== own);
      if (view !== state.view) return;
      clearStream();
      mine.remove(); // the text stays in the box, to be sent again
      if (!ui.messages.children.length) ui.welcome.hidden = false;
      if (error instanceof ApiError && error.code === "signing_in") return;
      showError(describe(error));
    } finally {
      if (view === state.view) {
        setBusy(false);
        ui.input.focus();
      }
      refreshTrips();
    }
  }

  // --- sessions ------------------------------------------------------------------------------------

  function tripLabel(session) {
    return text(session.title) || text(session.destination) || "Trip";
  }

  async function refreshTrips() {
    let sessions;
    try {
      const answer = await api("GET", "sessions");
      sessions = list(answer.sessions).filter((s) => isObject(s) && typeof s.sessionId === "string");
    } catch {
      return; // the list stays as it was; the conversation itself still works
    }
    ui.tripList.replaceChildren(
      ...sessions.map((session) => {
        const when = moment(session.lastActivity);
        const button = el(
          "button",
          {
            type: "button",
            "data-session": session.sessionId,
            "aria-current": String(session.sessionId === state.sessionId),
          },
          tripLabel(session),
          when ? el("span", { class: "when" }, when) : null,
        );
        button.addEventListener("click", () => openSession(session.sessionId));
        return el("li", {}, button);
      }),
    );
    ui.tripsEmpty.hidden = sessions.length > 0;
  }

  async function openSession(id) {
    if (id === state.sessionId && ui.messages.children.length) return;
    state.view += 1;
    const view = state.view;
    state.retry = null;
    clearError();
    clearConversation();
    setBusy(false);
    setSession(id);
    ui.status.textContent = "Loading the conversation…";
    ui.messages.setAttribute("aria-live", "off"); // a restored conversation is not read out as new
    try {
      const session = await api("GET", `sessions/${encodeURIComponent(id)}?limit=${TURNS_PER_PAGE}`);
      if (view !== state.view) return;
      ui.messages.replaceChildren(...turnItems(session.turns));
      ui.welcome.hidden = ui.messages.children.length > 0;
      state.seq = newestSeq(session.turns, 0);
      state.pollable = true;
      state.cursor = text(session.nextCursor) || null;
      ui.older.hidden = !state.cursor;
      state.slots = isObject(session.slots) ? session.slots : {};
      state.plan = isObject(session.plan) ? session.plan : null;
      renderTrip();
      ui.messages.lastElementChild?.scrollIntoView({ block: "nearest" });
    } catch (error) {
      if (view !== state.view) return;
      if (error instanceof ApiError && (error.status === 404 || error.status === 403)) setSession(null);
      if (!(error instanceof ApiError && error.code === "signing_in")) {
        showError(describe(error), { label: "Start a new trip", run: newTrip });
      }
    } finally {
      if (view === state.view) {
        ui.status.textContent = "";
        ui.messages.setAttribute("aria-live", "polite");
      }
    }
  }

  async function olderTurns() {
    if (!state.sessionId || !state.cursor) return;
    const view = state.view;
    const query = new URLSearchParams({ limit: String(TURNS_PER_PAGE), before: state.cursor });
    const path = `sessions/${encodeURIComponent(state.sessionId)}?${query}`;
    try {
      const session = await api("GET", path);
      if (view !== state.view) return;
      ui.messages.prepend(...turnItems(session.turns));
      state.cursor = text(session.nextCursor) || null;
      ui.older.hidden = !state.cursor;
      ui.messages.firstElementChild?.setAttribute("tabindex", "-1");
      ui.messages.firstElementChild?.focus();
    } catch (error) {
      if (view === state.view) showError(describe(error));
    }
  }

  // --- messages that arrive without a request -----------------------------------------------------

  function newestSeq(turns, seq) {
    return list(turns).reduce(
      (newest, turn) => (Number.isInteger(turn?.seq) ? Math.max(newest, turn.seq) : newest),
      seq,
    );
  }

  /** Whether a transcript text is one the page showed: the transcript keeps long texts cut, ending "…". */
  function sameText(shown, kept) {
    return shown === kept || (kept.endsWith("…") && shown.startsWith(kept.slice(0, -1).trimEnd()));
  }

  /** A turn of this page's own (shown from its answer): forget it, and everything shown before it. */
  function ownTurn(turn) {
    const index = state.unsynced.findIndex(
      (item) => item.role === turn.role && sameText(item.content, text(turn.content)),
    );
    if (index < 0) return false;
    state.unsynced.splice(0, index + 1);
    return true;
  }

  async function poll() {
    const id = state.sessionId;
    if (!id || !state.pollable || state.busy || state.polling || document.visibilityState !== "visible")
      return;
    const view = state.view;
    const turns = state.turns;
    state.polling = true;
    try {
      const session = await api(
        "GET",
        `sessions/${encodeURIComponent(id)}?limit=${POLL_TURNS}`,
        undefined,
        {},
        true,
      );
      if (view !== state.view || turns !== state.turns || state.busy) return; // that turn's answer shows it
      const fresh = list(session.turns)
        .filter((turn) => isObject(turn) && Number.isInteger(turn.seq) && turn.seq > state.seq)
        .sort((a, b) => a.seq - b.seq);
      state.seq = newestSeq(fresh, state.seq);
      const items = turnItems(fresh.filter((turn) => !ownTurn(turn)));
      if (!items.length) return;
      ui.messages.append(...items);
      ui.welcome.hidden = true;
      items[0].scrollIntoView({ block: "start" });
      if (isObject(session.slots)) state.slots = session.slots;
      state.plan = isObject(session.plan) ? session.plan : state.plan;
      renderTrip();
      refreshTrips(); // the trip's last activity moved
    } catch (error) {
      if (
        error instanceof ApiError &&
        (error.status === 404 || error.status === 403) &&
        view === state.view
      ) {
        state.pollable = false; // gone (deleted, expired): the trips list no longer has it either
      } // anything else: the next poll tries again
    } finally {
      state.polling = false;
    }
  }

  let pollTimer = null;
  function followVisibility() {
    const wanted = document.visibilityState === "visible" && !live.connected; // the socket says it all
    if (wanted && pollTimer === null) {
      pollTimer = setInterval(poll, POLL_MS);
      poll();
    } else if (!wanted && pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  // --- the live connection -------------------------------------------------------------------------

  const LIVE_BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const live = {
    socket: null,
    connected: false,
    failures: 0,
    timer: null,
    session: null, // the session the socket is subscribed to
    seq: 0, // the newest committed event seen for it: a reconnect resumes after it
    stream: null, // the "working" bubble of the turn in progress: {seq, item, tools, text}
  };

  function liveUrl() {
    const own = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${BASE}ws`;
    return `${text(config.live) || own}?${identity.liveQuery()}`;
  }

  function connectLive() {
    if (live.socket || typeof WebSocket !== "function") return;
    let socket;
    try {
      socket = new WebSocket(liveUrl());
    } catch {
      scheduleLive();
      return;
    }
    live.socket = socket;
    socket.addEventListener("open", () => {
      live.connected = true;
      live.failures = 0;
      document.body.dataset.live = "open";
      followVisibility(); // polling stops
      subscribeLive(true);
    });
    socket.addEventListener("message", (message) => {
      let event = null;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (isObject(event)) onLive(event);
    });
    socket.addEventListener("close", () => {
      live.socket = null;
      live.connected = false;
      document.body.dataset.live = "closed";
      clearStream();
      followVisibility(); // polling is the fallback while it is away
      scheduleLive();
    });
  }

  function scheduleLive() {
    if (live.timer !== null) return;
    const base = LIVE_BACKOFF_MS[Math.min(live.failures, LIVE_BACKOFF_MS.length - 1)];
    live.failures += 1;
    live.timer = setTimeout(
      () => {
        live.timer = null;
        connectLive();
      },
      base * (0.75 + Math.random() / 2),
    );
  }

  /** Subscribe the socket to the current session: resuming after the last seq seen when it is the same. */
  function subscribeLive(reconnected = false) {
    if (!live.connected || !state.sessionId) return;
    const message = { action: "subscribe", sessionId: state.sessionId };
    if (reconnected && live.session === state.sessionId && live.seq > 0) message.after = live.seq;
    else live.seq = -1; // learnt from the "subscribed" answer
    live.session = state.sessionId;
    live.socket.send(JSON.stringify(message));
  }

  function clearStream() {
    if (live.stream) live.stream.item.remove();
    live.stream = null;
  }

  /** A provisional part of a turn in progress: its tools as they start and finish, its text so far. */
  function showStream(event) {
    if (event.type === "withdrawn") {
      clearStream();
      return;
    }
    if (!live.stream || live.stream.seq !== event.seq) {
      clearStream();
      const tools = el("ul", { class: "progress" });
      const body = el("p", { class: "text streamed" });
      const item = el(
        "li",
        { class: "msg agent provisional", "data-role": "agent", "aria-busy": "true" },
        el("p", { class: "from" }, "Assistant", el("span", { class: "tag" }, "working…")),
        tools,
        body,
      );
      ui.messages.append(item);
      ui.welcome.hidden = true;
      live.stream = { seq: event.seq, item, tools, body, rows: new Map() };
    }
    const stream = live.stream;
    if (event.type === "progress" && text(event.tool)) {
      const name = text(event.tool);
      let row = stream.rows.get(name);
      if (!row) {
        row = el("li", {});
        stream.rows.set(name, row);
        stream.tools.append(row);
      }
      const done = event.status === "finished";
      row.textContent = done ? `${name}: done` : `${name}: looking…`;
      row.dataset.status = done ? "finished" : "started";
    } else if (event.type === "text") {
      stream.body.append(text(event.text));
    }
  }

  let tripRefresh = null;
  /** Read the session's trip once (after a partial event from the resume log, or a reset). */
  function refreshTripOnce() {
    if (tripRefresh || !state.sessionId) return;
    const id = state.sessionId;
    tripRefresh = api("GET", `sessions/${encodeURIComponent(id)}?limit=1`, undefined, {}, true)
      .then((session) => {
        if (id !== state.sessionId) return;
        if (isObject(session.slots)) state.slots = session.slots;
        state.plan = isObject(session.plan) ? session.plan : state.plan;
        renderTrip();
      })
      .catch(() => {})
      .finally(() => {
        tripRefresh = null;
      });
  }

  function onLive(event) {
    if (event.sessionId !== state.sessionId || live.session !== state.sessionId) return;
    if (event.provisional === true) {
      showStream(event);
      return;
    }
    if (event.type === "subscribed") {
      if (live.seq < 0 && Number.isInteger(event.seq)) live.seq = event.seq;
      return;
    }
    if (event.type === "reset") {
      const id = state.sessionId;
      state.sessionId = null; // openSession reads it again
      live.seq = -1;
      openSession(id);
      return;
    }
    if (event.type === "error") return; // this socket sends no turns: errors belong to the REST answer
    if (!Number.isInteger(event.seq) || event.seq <= live.seq) return; // seen already
    live.seq = event.seq;
    if (event.type === "turn") {
      clearStream();
      const answer = isObject(event.answer) ? event.answer : {};
      const own = state.own.find((item) => !item.heard && item.text === text(event.message));
      if (own) {
        own.heard = true;
        if (!own.shown) {
          own.shown = true;
          addMessage("agent", answer.content, answer);
          state.unsynced.push(
            { role: "user", content: own.text },
            { role: "agent", content: text(answer.content) },
          );
        }
        state.own = state.own.filter((item) => !(item.shown && item.heard));
      } else {
        addMessage("user", event.message);
        addMessage("agent", answer.content, answer);
        state.unsynced.push(
          { role: "user", content: text(event.message) },
          { role: "agent", content: text(answer.content) },
        );
      }
      const data = isObject(answer.data) ? answer.data : {};
      if (isObject(data.slots)) state.slots = data.slots;
      if (isObject(data.plan)) state.plan = data.plan;
      renderTrip();
      if (event.partial === true) refreshTripOnce();
      refreshTrips();
    } else if (event.type === "state") {
      if (event.partial === true) refreshTripOnce();
      else {
        if (isObject(event.slots)) state.slots = event.slots;
        if (isObject(event.plan)) state.plan = event.plan;
        renderTrip();
      }
    } else if (event.type === "push") {
      addMessage("agent", event.text, { type: text(event.kind) });
      state.unsynced.push({ role: "agent", content: text(event.text) });
      refreshTrips();
    }
  }

  function newTrip() {
    state.view += 1;
    state.retry = null;
    clearError();
    clearConversation();
    setSession(null);
    setBusy(false);
    ui.input.value = "";
    ui.input.focus();
  }

  // --- the trip card and the plan ------------------------------------------------------------------

  function fact(term, ...value) {
    const parts = value.filter((part) => part !== "" && part !== null && part !== undefined);
    return parts.length ? [el("dt", {}, term), el("dd", {}, ...parts)] : [];
  }

  function travellers(adults, children, rooms) {
    const parts = [];
    if (count(adults)) parts.push(plural(adults, "adult"));
    if (count(children)) parts.push(plural(children, "child", "children"));
    if (count(rooms)) parts.push(plural(rooms, "room"));
    return parts.join(", ");
  }

  function dates(slots, plan) {
    const d = isObject(plan && plan.dates) ? plan.dates : null;
    if (d && (d.start || d.end)) {
      const nights = count(d.nights) ? ` (${plural(d.nights, "night")})` : "";
      return [
        `${day(d.start)} – ${day(d.end)}${nights}`,
        d.assumed === true ? el("span", { class: "tag" }, "assumed") : null,
      ];
    }
    if (slots.departureDate) {
      const end = slots.returnDate ? ` – ${day(slots.returnDate)}` : "";
      return [`${day(slots.departureDate)}${end}`];
    }
    const month = count(slots.month)
      ? new Intl.DateTimeFormat(undefined, { month: "long", timeZone: "UTC" }).format(
          new Date(Date.UTC(2000, slots.month - 1, 1)),
        )
      : "";
    const length = count(slots.durationDays) ? plural(slots.durationDays, "day") : "";
    return [[month, length].filter(Boolean).join(", ")];
  }

  function renderTrip() {
    const slots = isObject(state.slots) ? state.slots : {};
    const plan = isObject(state.plan) ? state.plan : null;
    const stops = list(plan && plan.stops).filter(isObject);
    const destination =
      stops.length > 1
        ? stops
            .map(
              (stop) => `${text(stop.name)}${count(stop.nights) ? ` (${plural(stop.nights, "night")})` : ""}`,
            )
            .join(" → ")
        : place(plan && plan.destination) || place(slots.destination);
    const party = isObject(plan && plan.party) ? plan.party : null;
    const who = party
      ? travellers(party.adults, party.children, party.rooms)
      : isObject(slots.travellers)
        ? travellers(slots.travellers.adults, slots.travellers.children)
        : "";
    const budget =
      plan && isObject(plan.budget) && isObject(plan.budget.amount) ? plan.budget.amount : slots.budget;
    const interests = list(slots.interests).map(text).filter(Boolean).join(", ");
    const facts = [
      ...fact("Destination", destination),
      ...fact("From", place(slots.origin)),
      ...fact("Dates", ...dates(slots, plan)),
      ...fact("Travellers", who),
      ...fact("Budget", money(budget)),
      ...fact("Interests", interests),
    ];
    ui.facts.replaceChildren(...facts);
    ui.facts.hidden = facts.length === 0;
    ui.tripEmpty.hidden = facts.length > 0;
    renderBudget(plan);
    renderPlan(plan);
  }

  function renderBudget(plan) {
    const total = plan && isObject(plan.costs) ? plan.costs.total : null;
    const budget = plan && isObject(plan.budget) ? plan.budget : null;
    if (!isObject(total) || !Number.isFinite(total.amount)) {
      ui.budget.hidden = true;
      return;
    }
    const limit =
      budget && isObject(budget.amount) && Number.isFinite(budget.amount.amount) ? budget.amount : null;
    ui.budgetText.replaceChildren(`Plan total ${money(total)}`);
    if (limit) {
      ui.budgetText.append(` of a ${money(limit)} budget: `);
      const over = budget.status === "over" || (budget.status !== "fits" && total.amount > limit.amount);
      const by = over ? money(budget.over) : money(budget.remaining);
      ui.budgetText.append(
        el(
          "span",
          { class: over ? "over" : "fits" },
          over ? `over budget${by ? ` by ${by}` : ""}` : `within budget${by ? `, ${by} left` : ""}`,
        ),
      );
      ui.budgetMeter.max = Math.max(limit.amount, total.amount);
      ui.budgetMeter.high = limit.amount;
      ui.budgetMeter.optimum = 0;
      ui.budgetMeter.value = total.amount;
      ui.budgetMeter.hidden = false;
    } else {
      ui.budgetText.append(" (no budget given)");
      ui.budgetMeter.hidden = true;
    }
    ui.budgetNote.textContent = budget ? text(budget.suggestion) : "";
    ui.budget.hidden = false;
  }

  function cell(main, sub, attrs) {
    return el("td", attrs || {}, main, sub ? el("span", { class: "sub" }, sub) : null);
  }

  function flightRow(flight) {
    const number = text(flight.flightNumber);
    const carrier = [text(flight.carrier), number].filter(Boolean).join(" ");
    const route = [text(flight.from), text(flight.to)].filter(Boolean).join(" → ");
    const leg = { outbound: "Outbound", return: "Return", between: "Between stops" }[flight.leg] || "";
    const times = [text(flight.depart), text(flight.arrive)].filter(Boolean).join("–");
    const stops =
      count(flight.stops) === null ? "" : flight.stops === 0 ? "nonstop" : plural(flight.stops, "stop");
    const per = money(flight.pricePerPerson);
    return el(
      "tr",
      { "data-leg": text(flight.leg) },
      cell(route, [leg, carrier].filter(Boolean).join(" · ")),
      cell(day(flight.date, false), [times, stops].filter(Boolean).join(", ")),
      cell(money(flight.total), per ? `${per} per person` : "", { class: "money" }),
    );
  }

  function hotelRow(hotel) {
    const rating = Number.isFinite(hotel.rating) ? `rated ${hotel.rating}` : "";
    const stay = [
      count(hotel.nights) ? plural(hotel.nights, "night") : "",
      count(hotel.rooms) ? plural(hotel.rooms, "room") : "",
    ];
    const per = money(hotel.pricePerNight);
    return el(
      "tr",
      {},
      cell(text(hotel.name), [text(hotel.stop), rating].filter(Boolean).join(" · ")),
      cell(stay.filter(Boolean).join(", ")),
      cell(money(hotel.total), per ? `${per} per night` : "", { class: "money" }),
    );
  }

  function dayItem(entry) {
    const items = list(entry.items).filter(isObject);
    const heading = el(
      "p",
      { class: "day" },
      `Day ${count(entry.day) ?? "?"}${entry.title ? `: ${text(entry.title)}` : ""} `,
      el("span", { class: "sub" }, [day(entry.date, false), text(entry.stop)].filter(Boolean).join(" · ")),
    );
    const activities = items.length
      ? el(
          "ul",
          {},
          ...items.map((item) =>
            el(
              "li",
              {},
              text(item.name),
              item.kind ? el("span", { class: "kind" }, ` (${text(item.kind)})`) : null,
              item.note ? ` — ${text(item.note)}` : null,
            ),
          ),
        )
      : null;
    return el("li", {}, heading, activities);
  }

  function renderPlan(plan) {
    ui.plan.hidden = !plan;
    if (!plan) return;
    ui.planOffline.hidden = plan.offline !== true;
    ui.planSummary.textContent = text(plan.summary);
    ui.planSummary.hidden = !plan.summary;
    const notes = [
      isObject(plan.dates) ? text(plan.dates.note) : "",
      isObject(plan.rates) ? text(plan.rates.note) : "",
    ];
    ui.planNotes.textContent = notes.filter(Boolean).join(" ");
    ui.planNotes.hidden = !ui.planNotes.textContent;

    const flights = list(plan.flights).filter(isObject);
    ui.flightRows.replaceChildren(...flights.map(flightRow));
    ui.flights.hidden = flights.length === 0;
    const hotels = list(plan.hotels).filter(isObject);
    ui.hotelRows.replaceChildren(...hotels.map(hotelRow));
    ui.hotels.hidden = hotels.length === 0;
    const days = list(plan.itinerary).filter(isObject);
    ui.days.replaceChildren(...days.map(dayItem));
    ui.itinerary.hidden = days.length === 0;

    const costs = isObject(plan.costs) ? plan.costs : {};
    const rows = [
      ...fact("Flights", money(costs.flights)),
      ...fact("Trains", money(costs.trains)),
      ...fact("Hotels", money(costs.hotels)),
      ...fact("Activities", money(costs.activities)),
      ...fact("Total", money(costs.total)),
    ];
    ui.costs.replaceChildren(...rows);
    ui.costs.hidden = rows.length === 0;
  }

  // --- wiring --------------------------------------------------------------------------------------

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  ui.newTrip.addEventListener("click", newTrip);
  ui.older.addEventListener("click", olderTurns);
  if (window.matchMedia("(max-width: 700px)").matches) ui.tripsPanel.open = false;

  async function start() {
    renderTrip();
    setBusy(true);
    ui.status.textContent = "";
    const signedIn = await identity.ready();
    if (!signedIn) {
      ui.input.disabled = true; // signing in (the page is about to move) or sign-in failed (see the error)
      return;
    }
    ui.who.textContent = identity.label;
    setBusy(false);
    const draft = load("session", KEY.draft);
    if (draft !== null) {
      ui.input.value = draft;
      save("session", KEY.draft, null);
    }
    const saved = load("local", sessionKey());
    await Promise.all([saved ? openSession(saved) : Promise.resolve(), refreshTrips()]);
    document.addEventListener("visibilitychange", followVisibility);
    connectLive();
    followVisibility();
    document.body.dataset.ready = "true";
  }

  start();
})();
