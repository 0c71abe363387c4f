// Shared by the console's pages: the API client (session cookie + CSRF header), building DOM
// without innerHTML (user text is never parsed as HTML), times in Beijing time, toasts.
"use strict";

const Console = (() => {
  let csrfToken = null;
  let clockOffset = 0; // server time minus browser time, in ms

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || `请求失败(HTTP ${status})`);
      this.status = status;
      this.body = body || {};
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrfToken || "";
    }
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, { error: "无法连接服务器,请检查网络后重试" });
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) {
      window.location.href = "/login";
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  async function whoAmI() {
    const me = await api("/api/me");
    csrfToken = me.csrf_token;
    for (const input of document.querySelectorAll("input[name=csrf_token]")) {
      input.value = csrfToken;
    }
    const name = document.getElementById("me-name");
    if (name) name.textContent = me.operator.display_name;
    const role = document.getElementById("me-role");
    if (role) role.textContent = me.operator.role === "lead" ? "班长" : "话务员";
    for (const link of document.querySelectorAll("[data-lead-only]")) {
      link.hidden = me.operator.role !== "lead";
    }
    return me.operator;
  }

  // el("li", {class: "x", onclick: f, dataset: {id: 1}}, "text", child, ...)
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "class") node.className = value;
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function replace(container, ...children) {
    container.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  }

  function syncClock(serverIso) {
    if (serverIso) clockOffset = Date.parse(serverIso) - Date.now();
  }

  function now() {
    return Date.now() + clockOffset;
  }

  const TIME = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
  const CLOCK = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });

  function formatTime(iso) {
    return iso ? TIME.format(new Date(iso)) : "—";
  }

  function formatClock(iso) {
    return iso ? CLOCK.format(new Date(iso)) : "";
  }

  function formatDuration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) return `${seconds}秒`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}分${String(seconds % 60).padStart(2, "0")}秒`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours}小时${minutes % 60}分`;
    return `${Math.floor(hours / 24)}天${hours % 24}小时`;
  }

  function secondsSince(iso) {
    return (now() - Date.parse(iso)) / 1000;
  }

  function secondsUntil(iso) {
    return (Date.parse(iso) - now()) / 1000;
  }

  let toastTimer = null;
  function toast(message, kind = "info") {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.className = `toast toast-${kind}`;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), kind === "error" ? 8000 : 4000);
  }

  // Runs `work`, showing its error as a toast; the button is disabled meanwhile.
  async function act(button, work) {
    if (button) button.disabled = true;
    try {
      return await work();
    } catch (error) {
      toast(error.message, "error");
      return undefined;
    } finally {
      if (button) button.disabled = false;
    }
  }

  // Labelled rows from the server ([{label, value}]) as a definition list.
  function rows(items) {
    return el("dl", { class: "details-list" },
      (items || []).flatMap((row) => [el("dt", null, row.label), el("dd", null, row.value)]));
  }

  function valueText(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    return JSON.stringify(value);
  }

  return {
    ApiError, api, whoAmI, el, replace, syncClock, now, formatTime, formatClock, formatDuration,
    secondsSince, secondsUntil, toast, act, rows, valueText,
  };
})();
