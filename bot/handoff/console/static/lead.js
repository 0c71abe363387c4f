// The shift lead's screen: work orders to dispatch, in progress, overdue; hotel bookings
// awaiting the hotel; reports over a date range.
"use strict";

(() => {
  const { api, el, replace, toast, act, formatTime } = Console;
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 30000;

  function orderCells(order) {
    const fields = order.fields || {};
    return [
      el("td", null, el("strong", null, order.number), order.urgent ? el("span", { class: "badge badge-urgent" }, "紧急") : null),
      el("td", null, order.category_label),
      el("td", { class: "matter" }, fields.what || fields.note || ""),
    ];
  }

  function marks(order) {
    return el("td", { class: "meta" },
      order.chased_at ? el("div", null, `催办 ${formatTime(order.chased_at)}`) : null,
      order.supervised_at ? el("div", null, `督办 ${formatTime(order.supervised_at)}`) : null);
  }

  function button(label, handler, kind = "") {
    return el("button", { class: `small ${kind}`, onclick: (event) => act(event.currentTarget, handler) }, label);
  }

  function dispatchRow(order, departments) {
    const select = el("select", { "aria-label": `${order.number} 承办单位` },
      departments.map((name) => el("option", { value: name, selected: name === order.department_proposed }, name)));
    if (!order.department_proposed) select.prepend(el("option", { value: "", selected: true }, "请选择…"));
    const confidence = order.department_proposed
      ? el("div", { class: `meta${order.needs_review ? " warn" : ""}` },
          `建议:${order.department_proposed}(置信度 ${Math.round(order.route_confidence * 100)}%${order.needs_review ? ",请复核" : ""})`)
      : el("div", { class: "meta warn" }, "系统未能确定承办单位,请选择");
    return el("tr", { dataset: { number: order.number } },
      ...orderCells(order),
      el("td", null, [order.fields.where, order.fields.when].filter(Boolean).join(" / ")),
      el("td", null, formatTime(order.dispatch_due)),
      el("td", null, select, confidence),
      el("td", null, button("派单", async () => {
        if (!select.value) throw new Error("请选择承办单位");
        await api(`/api/lead/work-orders/${encodeURIComponent(order.number)}/dispatch`, {
          method: "POST", body: { department: select.value },
        });
        toast(`工单 ${order.number} 已派往${select.value}`);
        await loadOrders();
      }, "primary")));
  }

  function progressRow(order, { overdue }) {
    return el("tr", { dataset: { number: order.number } },
      ...orderCells(order),
      el("td", null, order.department || order.department_proposed || "—"),
      el("td", null, order.status_label),
      el("td", { class: overdue ? "late" : "" },
        overdue && order.deadline === "dispatch" ? `派单 ${formatTime(order.dispatch_due)}` : formatTime(order.finish_due)),
      marks(order),
      el("td", { class: "buttons" },
        button("催办", async () => {
          await api(`/api/lead/work-orders/${encodeURIComponent(order.number)}/chase`, { method: "POST" });
          toast(`已催办 ${order.number}`);
          await loadOrders();
        }),
        overdue ? button("督办", async () => {
          await api(`/api/lead/work-orders/${encodeURIComponent(order.number)}/supervise`, { method: "POST" });
          toast(`已督办 ${order.number}`);
          await loadOrders();
        }, "danger") : null));
  }

  function emptyRow(columns, text) {
    return el("tr", null, el("td", { colspan: columns, class: "empty-note" }, text));
  }

  async function loadOrders() {
    const data = await api("/api/lead/work-orders");
    Console.syncClock(data.now);
    replace($("dispatch-rows"), data.to_dispatch.length
      ? data.to_dispatch.map((o) => dispatchRow(o, data.departments)) : [emptyRow(7, "没有待派单的工单")]);
    replace($("progress-rows"), data.in_progress.length
      ? data.in_progress.map((o) => progressRow(o, { overdue: false })) : [emptyRow(8, "没有办理中的工单")]);
    replace($("overdue-rows"), data.overdue.length
      ? data.overdue.map((o) => progressRow(o, { overdue: true })) : [emptyRow(8, "没有超期工单")]);
    $("count-dispatch").textContent = data.to_dispatch.length;
    $("count-progress").textContent = data.in_progress.length;
    $("count-overdue").textContent = data.overdue.length;
    $("updated").textContent = `更新于 ${Console.formatClock(data.now)}`;
  }

  function bookingCard(booking, failReasons) {
    const details = booking.details || {};
    const summary = Console.rows(booking.detail_rows);
    const head = [
      el("h4", null, `${booking.kind_label}预订 ${booking.reference || ""}`),
      el("div", { class: "meta" }, `${booking.contact_name || ""} ${booking.contact_phone || ""} · ${booking.channel_label} · ${formatTime(booking.created_at)}`),
      summary,
    ];
    if (booking.kind !== "hotel") {
      return el("article", { class: "card" }, ...head, el("p", { class: "hint" }, "请电话告知客户结果。"));
    }
    const price = el("input", { placeholder: "单价,如 364", "aria-label": "单价", class: "price" });
    const hotel = el("input", { placeholder: details.hotel_name ? "" : "实际预订的酒店", value: details.hotel_name || "", "aria-label": "酒店" });
    const reason = el("select", { "aria-label": "失败原因" },
      failReasons.map((r) => el("option", { value: r.value }, r.label)));
    const alternatives = el("input", { placeholder: "推荐酒店,用逗号分隔", "aria-label": "推荐酒店" });
    const report = (deliveries, done) => {
      const failed = deliveries.filter((d) => !d.ok);
      toast(failed.length ? `${done},但消息未送达:${failed[0].reason}(已记录)` : `${done},已通知客人`, failed.length ? "error" : "info");
    };
    return el("article", { class: "card", dataset: { booking: booking.id } }, ...head,
      el("div", { class: "decide" },
        el("label", null, "酒店", hotel),
        el("label", null, "单价", price),
        button("确认预订", async () => {
          const answer = await api(`/api/lead/bookings/${booking.id}/confirm`, {
            method: "POST", body: { unit_price: price.value.trim(), hotel: hotel.value.trim() || null },
          });
          report(answer.deliveries, `预订 ${booking.reference} 已确认`);
          await loadBookings();
        }, "primary")),
      el("div", { class: "decide" },
        el("label", null, "失败原因", reason),
        el("label", null, "推荐酒店", alternatives),
        button("标记失败", async () => {
          const answer = await api(`/api/lead/bookings/${booking.id}/fail`, {
            method: "POST",
            body: { reason: reason.value, alternatives: alternatives.value.split(/[,,、\n]/).map((s) => s.trim()).filter(Boolean) },
          });
          report(answer.deliveries, `预订 ${booking.reference} 已标记失败`);
          await loadBookings();
        }, "danger")));
  }

  async function loadBookings() {
    const data = await api("/api/lead/bookings");
    replace($("booking-cards"), data.bookings.length
      ? data.bookings.map((b) => bookingCard(b, data.fail_reasons)) : [el("p", { class: "empty-note" }, "没有待确认的预订")]);
    $("count-bookings").textContent = data.bookings.length;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
  }

  function figure(title, value, detail) {
    return el("div", { class: "figure-card" },
      el("div", { class: "figure-title" }, title),
      el("div", { class: "figure" }, value),
      detail ? el("div", { class: "meta" }, detail) : null);
  }

  function spread(seconds) {
    const show = (s) => (s === null || s === undefined ? "—" : Console.formatDuration(s));
    return { value: show(seconds.p50), detail: `P90 ${show(seconds.p90)} · ${seconds.count} 次` };
  }

  function groupTable(title, groups, names) {
    const rows = Object.entries(groups || {});
    return el("section", { class: "report-block" }, el("h3", null, title),
      el("table", { class: "grid" },
        el("thead", null, el("tr", null, el("th", null, "名称"), el("th", null, "会话"), el("th", null, "转人工"), el("th", null, "转人工率"))),
        el("tbody", null, rows.length ? rows.map(([key, counts]) => el("tr", null,
          el("td", null, names[key] || key), el("td", null, counts.conversations), el("td", null, counts.with_handoff),
          el("td", null, percent(counts.conversations ? counts.with_handoff / counts.conversations : null))))
          : el("tr", null, el("td", { colspan: 4, class: "empty-note" }, "无数据")))));
  }

  function renderReport(report, labels) {
    const talks = report.conversations;
    const handoffs = report.handoffs;
    const orders = report.work_orders;
    const wait = spread(handoffs.wait_seconds);
    const first = spread(handoffs.first_response_seconds);
    const verdicts = Object.entries(report.satisfaction || {});
    replace($("report"),
      el("p", { class: "hint" }, `统计区间:${formatTime(report.since)} 至 ${formatTime(report.until)}`),
      el("div", { class: "figures" },
        figure("会话", talks.total),
        figure("转人工", talks.with_handoff, `转人工率 ${percent(talks.handoff_rate)}`),
        figure("等待接入(中位数)", wait.value, wait.detail),
        figure("首次回复(中位数)", first.value, first.detail),
        figure("工单按时答复", `${orders.on_time} / ${orders.due}`, `超时 ${orders.overdue}`),
        figure("回访评价", verdicts.reduce((sum, [, n]) => sum + n, 0),
          verdicts.map(([verdict, n]) => `${verdict} ${n}`).join(" · "))),
      groupTable("按渠道", talks.by_channel, labels.channels),
      groupTable("按业务线", talks.by_service_line, labels.service_lines),
      el("section", { class: "report-block" }, el("h3", null, `转人工请求 ${handoffs.requests}`),
        el("table", { class: "kv" }, el("tbody", null, Object.entries(handoffs.by_status || {}).map(([status, n]) =>
          el("tr", null, el("th", null, labels.statuses[status] || status), el("td", null, n)))))));
  }

  async function loadReport() {
    const since = $("report-since").value;
    const until = $("report-until").value;
    const data = await api(`/api/lead/report?since=${since}&until=${until}`);
    renderReport(data.report, data.labels);
  }

  function wire() {
    for (const tab of $("lead-tabs").querySelectorAll("button[data-tab]")) {
      tab.addEventListener("click", () => {
        for (const other of $("lead-tabs").querySelectorAll("button[data-tab]")) other.classList.toggle("active", other === tab);
        for (const panel of document.querySelectorAll(".lead-panel")) panel.hidden = panel.dataset.panel !== tab.dataset.tab;
      });
    }
    $("refresh").addEventListener("click", (event) => act(event.currentTarget, refresh));
    $("report-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act($("report-button"), loadReport);
    });
    const today = new Date(Console.now()).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
    const weekAgo = new Date(Console.now() - 6 * 86400000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
    $("report-since").value = weekAgo;
    $("report-until").value = today;
  }

  async function refresh() {
    await Promise.all([loadOrders(), loadBookings()]);
  }

  async function start() {
    await Console.whoAmI();
    wire();
    await refresh();
    setInterval(() => refresh().catch((error) => toast(error.message, "error")), REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", () => start().catch((error) => toast(error.message, "error")));
})();
