"""Custom actions served by `rasa run actions --actions bot.actions`."""

from bot.actions.conversation import (
    ActionCancelBooking,
    ActionHumanHandoff,
    ActionRecordHotlineRequest,
    ActionRephrase,
    ActionSessionStart,
)
from bot.actions.forms import ValidateFlightForm, ValidateHotelForm, ValidateMeetingForm
from bot.actions.readback import (
    ActionAskFlightConfirmed,
    ActionAskHoldFree,
    ActionAskHotelConfirmed,
    ActionAskMeetingConfirmed,
)
from bot.actions.submit import (
    ActionSubmitFlightBooking,
    ActionSubmitHotelBooking,
    ActionSubmitMeetingBooking,
)

__all__ = [
    "ActionAskFlightConfirmed",
    "ActionAskHoldFree",
    "ActionAskHotelConfirmed",
    "ActionAskMeetingConfirmed",
    "ActionCancelBooking",
    "ActionHumanHandoff",
    "ActionRecordHotlineRequest",
    "ActionRephrase",
    "ActionSessionStart",
    "ActionSubmitFlightBooking",
    "ActionSubmitHotelBooking",
    "ActionSubmitMeetingBooking",
    "ValidateFlightForm",
    "ValidateHotelForm",
    "ValidateMeetingForm",
]
