"""The console in headless Chromium against the real console server (Rasa's side faked, see
conftest): log in, see a waiting conversation, claim it, reply (with the forbidden-phrase
check), note, close; the shift lead's screen for leads only."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from tests.handoff.conftest import new_operator
from tests.handoff.console_page import ConsolePage
from tests.handoff.test_console_api import waiting_request
from tests.handoff.test_console_lead import new_booking


def test_a_wrong_password_shows_the_login_form_again(chromium, console_server):
    page = ConsolePage(chromium, console_server.url)
    page.log_in(new_operator(console_server.database_url), "wrong-password")
    assert page.visible("#login-error").text == "用户名或密码错误"
    page.open("/")
    assert chromium.current_url.endswith("/login")


def test_an_operator_claims_replies_notes_and_closes(chromium, console_server, fake_rasa):
    request_id, sender = waiting_request(console_server.database_url)
    fake_rasa.tracker(sender)["slots"].update({"city": "济南", "paused_form": "hotel_form"})
    page = ConsolePage(chromium, console_server.url)
    page.log_in(new_operator(console_server.database_url, name="王芳"))
    page.logged_in_as("王芳")

    page.until(lambda d: {"用户要求转人工", "网页"} <= set(page.queue_item(sender).text.split()))
    page.claim(sender)
    page.until(lambda d: page.transcript()[:2] == ["我想订济南的酒店", "转人工"])
    assert "回复窗口开放" in page.find("#window-banner").text
    city = page.visible('#slots input[data-slot="city"]')
    assert city.get_attribute("value") == "济南" and city.is_enabled()
    assert "酒店预订" in page.find("#form-state").text

    # A forbidden phrase is flagged before sending; the operator edits the reply.
    page.type_reply("哦,这个我不知道")
    warning = page.visible("#norm-warning")
    assert "我不知道" in warning.text
    page.find("#norm-edit").click()
    assert not warning.is_displayed()
    page.find("#reply-text").clear()
    Select(page.find("#canned")).select_by_visible_text("请您稍等,我帮您查询。")
    assert page.find("#reply-text").get_attribute("value") == "请您稍等,我帮您查询。"
    page.find("#send-button").click()
    sent = page.shows_message("请您稍等,我帮您查询。", ".message-out.by-operator")
    assert "人工·王芳" in sent
    assert page.find("#reply-text").get_attribute("value") == ""

    page.tab("notes")
    page.find("#note-text").send_keys("客人想住泉城广场附近")
    page.find("#note-button").click()
    page.until(lambda d: "客人想住泉城广场附近" in page.find("#notes").text)

    page.find("#close-button").click()
    Select(page.find("#close-preset")).select_by_visible_text("问题已解答")
    page.dialog_ok("close-dialog", "close-ok")
    page.until(lambda d: page.find("#conv-meta").text.find("已结束") >= 0)
    with session_scope(console_server.database_url) as session:
        request = session.get(HandoffRequest, request_id)
        assert (request.status, request.close_reason) == ("closed", "问题已解答")
        assert request.first_response_at is not None


def test_someone_elses_claim_is_shown_clearly(chromium, console_server, browser_for):
    request_id, sender = waiting_request(console_server.database_url)
    # This console misses the live update (its connection is down): it still shows the request.
    chromium.execute_cdp_cmd("Network.enable", {})
    chromium.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/events*"]})
    page = ConsolePage(chromium, console_server.url)
    page.log_in(new_operator(console_server.database_url))
    page.queue_item(sender)
    colleague = browser_for(name="李静")
    assert colleague.post(f"/api/requests/{request_id}/claim").status_code == 200
    # Found again: the console looks at the queue again each time its reconnection fails,
    # which re-renders the list (with the request, until it looks after the claim).
    page.click(f'#waiting-list li[data-sender="{sender}"] button.claim')
    assert page.toast() == "该会话已由李静接待"
    page.until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, f'#waiting-list li[data-sender="{sender}"]')
    )


def test_the_lead_screen_is_for_leads(chromium, console_server):
    booking_id = new_booking(console_server.database_url)
    page = ConsolePage(chromium, console_server.url)
    page.log_in(new_operator(console_server.database_url, role="operator", name="王芳"))
    page.logged_in_as("王芳")
    assert not page.find('a[href="/lead"]').is_displayed()
    page.open("/lead")
    assert "无权访问" in chromium.find_element(By.TAG_NAME, "h1").text

    page.find('a[href="/"]').click()
    page.find("form.inline button").click()  # 退出
    page.until(lambda d: d.current_url.endswith("/login"))
    page.log_in(new_operator(console_server.database_url, role="lead", name="赵班长"))
    page.logged_in_as("赵班长")
    page.find('a[href="/lead"]').click()
    page.find('button[data-tab="bookings"]').click()
    card = page.visible(f'article[data-booking="{booking_id}"]')
    card.find_element(By.CSS_SELECTOR, "input.price").send_keys("364")
    card.find_element(By.XPATH, ".//button[text()='确认预订']").click()
    assert "已确认" in page.toast()
    with session_scope(console_server.database_url) as session:
        from bot.store.booking import Booking

        assert (
            session.execute(select(Booking.status).where(Booking.id == booking_id)).scalar_one()
            == "confirmed"
        )
