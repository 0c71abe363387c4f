"""Questions whose text depends on what was collected: the read-back and the free hold."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.flows import FLOWS, BookingFlow


class ReadBack(Action, ABC):
    """Reads every collected field back (核实预订信息) and asks whether it is right."""

    @property
    @abstractmethod
    def flow(self) -> BookingFlow:
        """The booking flow this action serves (a class attribute in each concrete action)."""

    def name(self) -> str:
        return f"action_ask_{self.flow.confirm_slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        values = self.flow.parser.readback(tracker.slots)
        dispatcher.utter_message(response=f"utter_readback_{self.flow.kind}", **values)
        return []


class ActionAskHotelConfirmed(ReadBack):
    flow = FLOWS["hotel"]


class ActionAskMeetingConfirmed(ReadBack):
    flow = FLOWS["meeting"]


class ActionAskFlightConfirmed(ReadBack):
    flow = FLOWS["flight"]


class ActionAskHotlineConfirmed(ReadBack):
    flow = FLOWS["hotline"]


class ActionAskHoldFree(Action):
    """The script checks availability ("请稍等,马上为您查询!") before offering the free hold."""

    def name(self) -> str:
        return "action_ask_hold_free"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_checking_availability")
        dispatcher.utter_message(response="utter_ask_hold_free")
        return []
