"""The whole stack, as on a call centre's machine: the Rasa server on the trained model, the
action server, the scheduler and the console (`python -m bot run`'s processes), a traveller on
the web chat, an operator in headless Chromium.

The traveller starts a hotel booking and asks for a person; the operator sees the conversation
in the queue, claims it, replies (the traveller's page receives it), corrects the city the bot
collected, and hands the conversation back: the bot resumes the unfinished form with the
correction, and the traveller carries on with the bot."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from bot.handoff.operators import add_operator
from bot.launcher import Servers
from bot.store.conversation import find_conversation
from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from tests.handoff.conftest import PASSWORD
from tests.handoff.console_page import ConsolePage
from tests.servers import running_servers, said


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    work = tmp_path_factory.mktemp("console-stack")
    with running_servers(work) as servers:
        yield servers


class Traveller:
    """Someone on the web chat page: posts messages, fetches what operators push."""

    def __init__(self, servers: Servers) -> None:
        self.base = f"{servers.rasa_url}/webhooks/webchat"
        self.sender = f"web-{uuid.uuid4().hex[:12]}"
        self.seen = 0

    def says(self, text: str) -> list[str]:
        answer = httpx.post(
            f"{self.base}/webhook",
            json={"sender": self.sender, "message": text, "metadata": {"service_line": "travel"}},
            timeout=60,
        )
        answer.raise_for_status()
        return [message["text"] for message in answer.json() if "text" in message]

    def pushed(self) -> list[str]:
        """Messages the page fetched since it last looked (operators', the resumed bot's)."""
        answer = httpx.get(
            f"{self.base}/pushes", params={"sender": self.sender, "after": self.seen}, timeout=10
        )
        answer.raise_for_status()
        messages = answer.json()
        if messages:
            self.seen = messages[-1]["id"]
        return [message["text"] for message in messages]


def test_claim_reply_correct_and_hand_back_resumes_the_form(stack, chromium):
    database_url = stack.env["DATABASE_URL"]
    with session_scope(database_url) as session:
        add_operator(session, "wangfang", display_name="王芳", role="operator", password=PASSWORD)
    traveller = Traveller(stack)

    assert said(traveller.says("我想订济南的酒店"), "请问您有指定酒店吗?")
    assert said(traveller.says("转人工"), "您前面还有")

    page = ConsolePage(chromium, stack.console_url)
    page.log_in("wangfang")
    page.logged_in_as("王芳")
    page.claim(traveller.sender)
    page.shows_message("转人工", ".message-in")
    page.until(
        lambda d: page.visible('#slots input[data-slot="city"]').get_attribute("value") == "济南"
    )

    page.type_reply("您好,我是人工客服王芳,请问您想住哪家酒店?")
    page.shows_message("您好,我是人工客服王芳,请问您想住哪家酒店?", ".by-operator")
    assert traveller.pushed() == ["您好,我是人工客服王芳,请问您想住哪家酒店?"]

    # While the person owns the conversation the bot is silent, and the operator sees the
    # traveller's messages live.
    assert traveller.says("不好意思,我要改成青岛") == []
    page.shows_message("不好意思,我要改成青岛", ".message-in")

    city = page.visible('#slots input[data-slot="city"]')
    city.clear()
    city.send_keys("青岛")
    page.click("#handback-button")
    page.until(lambda d: "青岛" in page.find("#handback-changes").text)
    assert "酒店预订" in page.find("#handback-form").text
    page.dialog_ok("handback-dialog", "handback-ok")
    assert "已交还智能客服" in page.toast()

    resumed = traveller.pushed()
    assert said(resumed, "接下来由我继续为您办理", "请问您有指定酒店吗?"), resumed
    with session_scope(database_url) as session:
        [request] = session.query(HandoffRequest).all()
        assert request.status == "handed_back" and request.first_response_at is not None

    # The form goes on from where it was, with the corrected city.
    assert said(traveller.says("没有,市中心,300以内"), "请问您是哪天入住?")
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{traveller.sender}/tracker").json()
    assert tracker["slots"]["city"] == "青岛" and tracker["active_loop"]["name"] == "hotel_form"

    # The transcript the operator reads holds each message once, and nothing the console
    # triggered behind the scenes.
    with session_scope(database_url) as session:
        conversation = find_conversation(session, traveller.sender)
        texts = [message.text for message in conversation.messages]
    assert texts.count("感谢您的耐心等待,接下来由我继续为您办理。") == 1
    assert not [text for text in texts if text and text.startswith("EXTERNAL")]
