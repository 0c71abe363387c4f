"""The console's pages as the browser tests use them: what an operator clicks and reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.handoff.conftest import PASSWORD

TIMEOUT = 20  # seconds: the page shows a change at the latest one live-feed poll later


class ConsolePage:
    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.driver, self.base_url = driver, base_url.rstrip("/")

    def until(self, condition: Callable[[WebDriver], Any], timeout: float = TIMEOUT) -> Any:
        # The live feed re-renders lists while the test looks at them: look again then.
        return WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.2,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(condition)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def visible(self, css: str) -> WebElement:
        return self.until(
            lambda d: next(
                (e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None
            )
        )

    def open(self, path: str = "/") -> None:
        self.driver.get(f"{self.base_url}{path}")

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.open("/login")
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(password)
        self.find("#login-button").click()

    def logged_in_as(self, display_name: str) -> None:
        self.until(lambda d: d.find_element(By.ID, "me-name").text == display_name)

    def queue_item(self, sender: str) -> WebElement:
        return self.visible(f'#waiting-list li[data-sender="{sender}"]')

    def click(self, css: str) -> None:
        """Click what `css` finds once it is visible (found again if the page re-rendered it)."""
        self.until(lambda d: self.visible(css).click() or True)

    def claim(self, sender: str) -> None:
        self.click(f'#waiting-list li[data-sender="{sender}"] button.claim')
        self.until(lambda d: self.find("#conv-title").text == sender)
        self.until(lambda d: self.find("#reply-text").is_enabled())

    def transcript(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#transcript .bubble")]

    def shows_message(self, text: str, css: str = ".message") -> str:
        """Waits for a message with `text` in the transcript; its whole text (with who said it)."""
        return self.until(
            lambda d: next(
                (e.text for e in d.find_elements(By.CSS_SELECTOR, f"#transcript {css}")
                 if e.find_element(By.CSS_SELECTOR, ".bubble").text == text),
                None,
            )
        )  # fmt: skip

    def type_reply(self, text: str) -> None:
        box = self.find("#reply-text")
        box.clear()
        box.send_keys(text)
        self.find("#send-button").click()

    def toast(self) -> str:
        return self.visible("#toast").text

    def tab(self, name: str) -> None:
        self.find(f'#detail-tabs button[data-tab="{name}"]').click()

    def dialog_ok(self, dialog: str, button: str) -> None:
        self.until(lambda d: self.find(f"#{dialog}").get_attribute("open") is not None)
        self.find(f"#{button}").click()
