"""Custom actions served by `rasa run actions --actions bot.actions`."""

from bot.actions.conversation import (
    ActionCancelBooking,
    ActionHumanHandoff,
    ActionRecordHotlineRequest,
    ActionRephrase,
    ActionSessionStart,
)
from bot.actions.forms import (
    ValidateFlightForm,
    ValidateHotelForm,
    ValidateHotlineForm,
    ValidateMeetingForm,
)
from bot.actions.hotline import (
    ActionCheckWorkOrder,
    ActionHotlineIntake,
    ActionReplyOutsideForm,
    ActionSubmitWorkOrder,
)
from bot.actions.readback import (
    ActionAskFlightConfirmed,
    ActionAskHoldFree,
    ActionAskHotelConfirmed,
    ActionAskHotlineConfirmed,
    ActionAskMeetingConfirmed,
)
from bot.actions.submit import (
    ActionSubmitFlightBooking,
    ActionSubmitHotelBooking,
    ActionSubmitMeetingBooking,
)

__all__ = [
    "ActionAskHotlineConfirmed",
    "ActionCheckWorkOrder",
    "ActionHotlineIntake",
    "ActionReplyOutsideForm",
    "ActionSubmitWorkOrder",
    "ValidateHotlineForm",
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
