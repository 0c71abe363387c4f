// The operator's screen: the queue, one conversation (live transcript, slots, records, notes),
// the reply box, and the actions on a conversation. Live updates come over Server-Sent Events.
"use strict";

(() => {
  const { api, el, replace, toast, act, formatTime, formatClock, formatDuration } = Console;
  const $ = (id) => document.getElementById(id);

  const state = {
    me: null,
    sender: null, // the open conversation's sender id
    view: null, // its last snapshot (SQL): conversation, request, transcript, notes, window…
    slots: null, // the bot's state (Rasa): slots, form
    canned: [],
    events: null, // the EventSource
    pendingText: null, // a reply waiting for the operator's confirmation (forbidden phrase)
  };

  // --- the queue -------------------------------------------------------------------------

  function queueItem(item, { mine }) {
    const li = el(
      "li",
      {
        class: `queue-item${item.urgent ? " urgent" : ""}${item.sender_id === state.sender ? " selected" : ""}`,
        dataset: { requestId: item.id, sender: item.sender_id },
        onclick: () => openConversation(item.sender_id),
      },
      el("div", { class: "row" },
        item.urgent ? el("span", { class: "badge badge-urgent" }, "紧急") : null,
        el("span", { class: "badge" }, item.channel_label),
        el("span", { class: "line" }, item.service_line_label),
        el("span", { class: "waited", dataset: { since: item.created_at } },
          formatDuration(item.waited_seconds))),
      el("div", { class: "reason" }, item.reason_label,
        item.category_label ? el("span", { class: "category" }, ` · ${item.category_label}`) : null,
        item.status === "next_shift" ? el("span", { class: "badge badge-muted" }, "下一班") : null),
      item.said ? el("div", { class: "said" }, item.said) : null,
    );
    if (mine) {
      li.querySelector(".waited").remove();
    } else {
      li.append(
        el("button", {
          class: "primary small claim",
          onclick: (event) => {
            event.stopPropagation();
            claim(item.id, item.sender_id, event.currentTarget);
          },
        }, "接入"),
      );
    }
    return li;
  }

  function renderQueue(queue) {
    Console.syncClock(queue.now);
    replace($("waiting-list"), queue.waiting.map((item) => queueItem(item, { mine: false })));
    replace($("mine-list"), queue.mine.map((item) => queueItem(item, { mine: true })));
    $("waiting-count").textContent = queue.waiting.length;
    $("mine-count").textContent = queue.mine.length;
    $("waiting-empty").hidden = queue.waiting.length > 0;
    document.title = queue.waiting.length ? `(${queue.waiting.length}) 坐席工作台` : "坐席工作台";
  }

  async function loadRecent(search) {
    const query = search ? `?q=${encodeURIComponent(search)}` : "";
    const { conversations } = await api(`/api/conversations${query}`);
    replace(
      $("recent-list"),
      conversations.map((c) =>
        el("li", { onclick: () => openConversation(c.sender_id), dataset: { sender: c.sender_id } },
          el("div", { class: "row" },
            el("span", { class: "badge" }, c.channel_label),
            el("span", { class: "sender" }, c.sender_id)),
          el("div", { class: "meta" }, `${c.handoff_label} · ${formatTime(c.last_message_at)}`)),
      ),
    );
    if (!conversations.length) $("recent-list").append(el("li", { class: "empty-note" }, "没有找到会话"));
  }

  async function loadQueue() {
    renderQueue(await api("/api/queue"));
  }

  async function claim(requestId, sender, button) {
    button.disabled = true;
    try {
      const answer = await api(`/api/requests/${requestId}/claim`, { method: "POST" });
      toast(answer.warning || "已接入,请及时回复用户", answer.warning ? "error" : "info");
      await openConversation(sender);
    } catch (error) {
      toast(error.message, "error"); // e.g. "该会话已由李静接待": someone was quicker
      await loadQueue().catch(() => {});
    } finally {
      button.disabled = false;
    }
  }

  // --- one conversation --------------------------------------------------------------------

  function mineNow() {
    const request = state.view && state.view.request;
    return Boolean(request && request.status === "claimed" && request.operator &&
      request.operator.id === state.me.id);
  }

  async function openConversation(sender) {
    if (window.location.hash !== `#c/${encodeURIComponent(sender)}`) {
      window.location.hash = `c/${encodeURIComponent(sender)}`;
      return; // the hashchange handler opens it
    }
    state.sender = sender;
    state.pendingText = null;
    $("norm-warning").hidden = true;
    try {
      const view = await api(`/api/conversations/${encodeURIComponent(sender)}`);
      state.canned = view.canned || [];
      state.slots = view.state;
      renderCanned();
      renderConversation(view);
      renderSlots();
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    listen();
    for (const item of document.querySelectorAll(".queue-item")) {
      item.classList.toggle("selected", item.dataset.sender === sender);
    }
  }

  function renderConversation(view) {
    const wasMine = mineNow();
    state.view = view;
    $("placeholder").hidden = true;
    $("conversation").hidden = false;
    const { conversation, request } = view;
    $("conv-title").textContent = conversation.sender_id;
    replace($("conv-meta"),
      el("span", { class: "badge" }, conversation.channel_label),
      el("span", null, conversation.service_line_label),
      request ? el("span", { class: `status status-${request.status}` }, request.status_label) : el("span", { class: "status" }, "智能客服接待中"),
      request && request.urgent ? el("span", { class: "badge badge-urgent" }, "紧急") : null,
      request ? el("span", null, `原因:${request.reason_label}`) : null,
      el("span", null, `开始于 ${formatTime(conversation.started_at)}`));
    renderActions();
    renderTranscript(view.transcript);
    renderWindow();
    renderNotes(view.notes);
    renderHistory(view.history, request);
    renderRecords(view.records);
    if (wasMine !== mineNow()) renderSlots();
  }

  function renderActions() {
    const request = state.view.request;
    const open = request && ["waiting", "next_shift", "claimed"].includes(request.status);
    const mine = mineNow();
    $("claim-button").hidden = !(request && ["waiting", "next_shift"].includes(request.status));
    $("takeover-button").hidden = Boolean(open);
    for (const id of ["transfer-button", "handback-button", "close-button"]) $(id).hidden = !mine;
    const note = $("owner-note");
    if (request && request.status === "claimed" && !mine) {
      note.hidden = false;
      note.textContent = `该会话由${request.operator ? request.operator.display_name : "其他话务员"}接待中,您只能查看。`;
    } else if (!open) {
      note.hidden = false;
      note.textContent = "智能客服正在接待该会话。如需人工处理,请点击“接管会话”。";
    } else {
      note.hidden = true;
    }
    $("reply-text").disabled = !mine;
    $("send-button").disabled = !mine;
    $("canned").disabled = !mine;
    $("composer-hint").textContent = mine ? "" : "接入后才能回复";
  }

  const KIND_LABELS = { in: "用户", out: "客服", refused: "未送达", failed: "发送失败" };

  function renderTranscript(entries) {
    const list = $("transcript");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    replace(list, entries.map((entry) => {
      const who = entry.kind === "in" ? "用户" : entry.author ? `人工·${entry.author}` : entry.kind === "out" ? "智能客服" : KIND_LABELS[entry.kind];
      return el("li", { class: `message message-${entry.kind}${entry.author ? " by-operator" : ""}` },
        el("div", { class: "bubble" }, entry.text || ""),
        el("div", { class: "message-meta" }, `${who} · ${formatClock(entry.at)}`,
          entry.reason ? el("span", { class: "refusal" }, ` · ${KIND_LABELS[entry.kind]}:${entry.reason}`) : null));
    }));
    if (atBottom || !list.dataset.seen) list.scrollTop = list.scrollHeight;
    list.dataset.seen = "1";
  }

  // The reply window: open (until when, how many messages left), closing soon, or closed.
  function renderWindow() {
    const banner = $("window-banner");
    const window_ = state.view && state.view.window;
    if (!window_) return;
    const parts = [];
    let level = "open";
    if (!window_.open) {
      level = "closed";
      parts.push(`回复窗口已关闭:${window_.reason || "平台不接受消息"}。发出的回复会被记录但无法送达。`);
    } else {
      parts.push("回复窗口开放");
      if (window_.closes_at) {
        const left = Console.secondsUntil(window_.closes_at);
        parts.push(`剩余 ${formatDuration(left)}`);
        if (left <= 600) level = "closing";
      }
      if (window_.remaining !== null && window_.remaining !== undefined) {
        parts.push(`还可发送 ${window_.remaining} 条`);
        if (window_.remaining <= 1) level = "closing";
      }
      if (window_.warning) {
        level = "closing";
        parts.push(`⚠ ${window_.warning}`);
      }
    }
    banner.className = `window-banner window-${level}`;
    banner.textContent = parts.join(" · ");
  }

  function renderNotes(notes) {
    replace($("notes"), notes.map((note) =>
      el("li", null, el("div", null, note.text),
        el("div", { class: "meta" }, `${note.author || ""} · ${formatTime(note.at)}`))));
    if (!notes.length) $("notes").append(el("li", { class: "empty-note" }, "暂无备注"));
    $("note-text").disabled = !state.view.request;
    $("note-button").disabled = !state.view.request;
  }

  function renderHistory(history, request) {
    replace($("history"), history.map((event) =>
      el("li", null, `${formatTime(event.at)} ${event.label}`, event.detail ? `:${event.detail}` : "")));
    $("summary").textContent = request && request.summary ? `转人工时的情况:${request.summary}` : "";
  }

  function renderRecords(records) {
    const blocks = [];
    for (const booking of records.bookings) {
      blocks.push(el("article", { class: "record" },
        el("h4", null, `${booking.kind_label}预订 ${booking.reference || ""}`,
          el("span", { class: `badge status-${booking.status}` }, booking.status_label)),
        el("div", { class: "meta" }, `${booking.contact_name || ""} ${booking.contact_phone || ""} · ${formatTime(booking.created_at)}`),
        Console.rows(booking.detail_rows)));
    }
    for (const order of records.work_orders) {
      blocks.push(el("article", { class: "record" },
        el("h4", null, `工单 ${order.number}`, el("span", { class: "badge" }, order.status_label)),
        el("div", { class: "meta" }, `${order.category_label} · ${order.department || order.department_proposed || "待派单"}` +
          (order.finish_due ? ` · 办结时限 ${formatTime(order.finish_due)}` : "")),
        Console.rows(order.field_rows)));
    }
    replace($("records"), blocks.length ? blocks : [el("p", { class: "empty-note" }, "该会话还没有预订或工单")]);
  }

  function renderSlots() {
    const slots = state.slots || { slots: [] };
    const editable = mineNow();
    const form = slots.form_label;
    $("form-state").textContent = slots.error ? `无法读取机器人的信息:${slots.error}`
      : form ? `未完成的表单:${form}` : "没有进行中的表单";
    $("slots-hint").hidden = !editable;
    replace($("slots"), (slots.slots || []).map((slot) => {
      const text = Console.valueText(slot.value);
      const input = el("input", {
        value: text,
        disabled: !editable,
        "aria-label": slot.label,
        dataset: { slot: slot.name, original: text, json: typeof slot.value === "string" || slot.value === null ? "" : "1" },
        oninput: (event) => event.target.classList.toggle("changed", event.target.value !== text),
      });
      return el("tr", { class: slot.value === null ? "empty" : "" },
        el("th", { title: slot.name }, slot.label), el("td", null, input));
    }));
  }

  function corrections() {
    const changed = {};
    for (const input of $("slots").querySelectorAll("input[data-slot]")) {
      if (input.value === input.dataset.original) continue;
      let value = input.value.trim();
      if (value === "") value = null;
      else if (input.dataset.json) {
        try {
          value = JSON.parse(value);
        } catch {
          // not JSON: keep the text as typed
        }
      }
      changed[input.dataset.slot] = value;
    }
    return changed;
  }

  function renderCanned() {
    const select = $("canned");
    replace(select, el("option", { value: "" }, "选择常用语…"),
      state.canned.map((group) => el("optgroup", { label: group.group },
        group.texts.map((text) => el("option", { value: text }, text)))));
  }

  // --- live updates ------------------------------------------------------------------------

  function listen() {
    if (state.events) state.events.close();
    const query = state.sender ? `?sender=${encodeURIComponent(state.sender)}` : "";
    const source = new EventSource(`/api/events${query}`);
    state.events = source;
    const status = $("live-status");
    source.addEventListener("open", () => {
      status.textContent = "实时";
      status.className = "live live-on";
    });
    source.addEventListener("error", () => {
      status.textContent = "连接中断,正在重连…";
      status.className = "live live-off";
      loadQueue().catch(() => {}); // the browser reconnects by itself; meanwhile, look again
    });
    source.addEventListener("queue", (event) => renderQueue(JSON.parse(event.data)));
    source.addEventListener("conversation", (event) => {
      const view = JSON.parse(event.data);
      if (view.conversation.sender_id === state.sender) renderConversation(view);
    });
    source.addEventListener("logout", () => {
      source.close();
      window.location.href = "/login";
    });
  }

  // Waiting times and the reply window's countdown move every second without the server.
  function tick() {
    for (const node of document.querySelectorAll("[data-since]")) {
      node.textContent = formatDuration(Console.secondsSince(node.dataset.since));
    }
    if (state.view) renderWindow();
  }

  // --- actions -----------------------------------------------------------------------------

  async function refreshView() {
    if (!state.sender) return;
    const view = await api(`/api/conversations/${encodeURIComponent(state.sender)}`);
    state.slots = view.state;
    renderConversation(view);
    renderSlots();
  }

  async function sendReply(text, confirmed) {
    const request = state.view.request;
    try {
      const answer = await api(`/api/requests/${request.id}/reply`, {
        method: "POST",
        body: { text, confirmed },
      });
      $("norm-warning").hidden = true;
      state.pendingText = null;
      const failed = answer.deliveries.filter((d) => !d.ok);
      if (failed.length) {
        toast(`消息未送达:${failed[0].reason || "平台拒绝"}(已记录,可稍后重试或电话联系)`, "error");
      } else {
        $("reply-text").value = "";
      }
      if (answer.window) {
        state.view.window = answer.window;
        renderWindow();
      }
    } catch (error) {
      if (error.status === 422 && error.body.forbidden) {
        state.pendingText = text;
        replace($("norm-list"), error.body.forbidden.map((advice) => el("li", null, advice)));
        $("norm-warning").hidden = false;
        $("norm-send").focus();
      } else {
        toast(error.message, "error");
      }
    }
  }

  function wire() {
    $("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = $("reply-text").value.trim();
      if (!text || !mineNow()) return;
      await act($("send-button"), () => sendReply(text, false));
    });
    $("reply-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("reply-text").addEventListener("input", () => {
      if (state.pendingText !== null && $("reply-text").value.trim() !== state.pendingText) {
        $("norm-warning").hidden = true;
        state.pendingText = null;
      }
    });
    $("norm-send").addEventListener("click", (event) =>
      act(event.currentTarget, () => sendReply(state.pendingText, true)));
    $("norm-edit").addEventListener("click", () => {
      $("norm-warning").hidden = true;
      state.pendingText = null;
      $("reply-text").focus();
    });
    $("canned").addEventListener("change", (event) => {
      if (!event.target.value) return;
      const box = $("reply-text");
      box.value = box.value ? `${box.value}${event.target.value}` : event.target.value;
      event.target.value = "";
      box.focus();
    });

    $("takeover-button").addEventListener("click", (event) => act(event.currentTarget, async () => {
      const answer = await api(`/api/conversations/${encodeURIComponent(state.sender)}/take-over`, { method: "POST" });
      toast(answer.warning || "已接管,智能客服已暂停", answer.warning ? "error" : "info");
      await refreshView();
    }));
    $("claim-button").addEventListener("click", (event) =>
      claim(state.view.request.id, state.sender, event.currentTarget));

    $("transfer-button").addEventListener("click", () => act(null, async () => {
      const { operators } = await api("/api/operators");
      const others = operators.filter((o) => o.id !== state.me.id);
      if (!others.length) {
        toast("没有其他在岗的话务员可以转交", "error");
        return;
      }
      replace($("transfer-target"), others.map((o) =>
        el("option", { value: o.id }, `${o.display_name}(${o.role === "lead" ? "班长" : "话务员"})`)));
      $("transfer-dialog").showModal();
    }));
    $("transfer-dialog").addEventListener("close", () => {
      if ($("transfer-dialog").returnValue !== "ok") return;
      act(null, async () => {
        await api(`/api/requests/${state.view.request.id}/transfer`, {
          method: "POST",
          body: { operator_id: Number($("transfer-target").value) },
        });
        toast("已转交");
        await refreshView();
      });
    });

    $("close-button").addEventListener("click", () => {
      $("close-reason").value = "";
      $("close-preset").value = "";
      $("close-dialog").showModal();
    });
    $("close-preset").addEventListener("change", (event) => {
      if (event.target.value) $("close-reason").value = event.target.value;
    });
    $("close-dialog").addEventListener("close", () => {
      if ($("close-dialog").returnValue !== "ok") return;
      const reason = $("close-reason").value.trim();
      if (!reason) {
        toast("请填写结束原因", "error");
        return;
      }
      act(null, async () => {
        await api(`/api/requests/${state.view.request.id}/close`, { method: "POST", body: { reason } });
        toast("会话已结束");
        await refreshView();
      });
    });

    $("handback-button").addEventListener("click", () => {
      const changes = corrections();
      const labels = Object.fromEntries((state.slots.slots || []).map((s) => [s.name, s.label]));
      $("handback-form").textContent = state.slots.form_label
        ? `机器人将继续“${state.slots.form_label}”表单。` : "没有未完成的表单,机器人将继续接待用户。";
      replace($("handback-changes"), Object.entries(changes).map(([name, value]) =>
        el("li", null, `${labels[name] || name}:${Console.valueText(value) || "(清空)"}`)));
      if (!Object.keys(changes).length) $("handback-changes").append(el("li", null, "不修改任何字段"));
      $("handback-dialog").showModal();
    });
    $("handback-dialog").addEventListener("close", () => {
      if ($("handback-dialog").returnValue !== "ok") return;
      act($("handback-button"), async () => {
        const answer = await api(`/api/requests/${state.view.request.id}/hand-back`, {
          method: "POST",
          body: { corrections: corrections() },
        });
        toast(answer.bot_said.length ? `已交还智能客服:“${answer.bot_said[0]}”` : "已交还智能客服");
        await refreshView();
      });
    });

    $("note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("note-text").value.trim();
      if (!text || !state.view.request) return;
      act($("note-button"), async () => {
        await api(`/api/requests/${state.view.request.id}/notes`, { method: "POST", body: { text } });
        $("note-text").value = "";
        await refreshView();
      });
    });

    $("slots-refresh").addEventListener("click", (event) => act(event.currentTarget, async () => {
      state.slots = await api(`/api/conversations/${encodeURIComponent(state.sender)}/state`);
      renderSlots();
    }));

    for (const tab of $("detail-tabs").querySelectorAll("button")) {
      tab.addEventListener("click", () => {
        for (const other of $("detail-tabs").querySelectorAll("button")) other.classList.toggle("active", other === tab);
        for (const panel of document.querySelectorAll(".details .tab")) panel.hidden = panel.dataset.panel !== tab.dataset.tab;
      });
    }

    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act(null, () => loadRecent($("search").value.trim()));
    });
    window.addEventListener("hashchange", fromHash);
  }

  function fromHash() {
    const match = window.location.hash.match(/^#c\/(.+)$/);
    if (match) openConversation(decodeURIComponent(match[1]));
  }

  async function start() {
    state.me = await Console.whoAmI();
    wire();
    await loadQueue();
    listen();
    await loadRecent("");
    fromHash();
    setInterval(tick, 1000);
    setInterval(() => loadRecent($("search").value.trim()).catch(() => {}), 30000);
  }

  document.addEventListener("DOMContentLoaded", () => start().catch((error) => toast(error.message, "error")));
})();
