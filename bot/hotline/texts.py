"""What the work-order lifecycle writes outside a chat turn, in the hotline's polite 您 form:
status and history lines, the scheduler's follow-up question, notes for operators; and the
chat lines added since the model was last trained, which the actions send as plain text.

Everything else the bot says within a conversation is in the Rasa domain
(bot/rasa/domain/hotline.yml).
"""

from __future__ import annotations

STATUS = {
    "created": "已受理,待派单",
    "dispatched": "已派单,待承办单位签收",
    "accepted": "承办单位办理中",
    "returned": "已退回,待重新派单",
    "replied": "承办单位已答复",
    "follow_up": "回访中",
    "closed": "已办结",
    "reopened": "重新办理中",
    "bound": "已并入同一事项的工单,随其办理",
}

# One line of an order's history per event: "2026-11-26 10:05 已派单:住建局".
ACTION = {
    "create": "已受理",
    "bind": "同一事项合并办理",
    "dispatch": "已派单",
    "accept": "承办单位已签收",
    "return": "承办单位退单",
    "reply": "承办单位已答复",
    "follow_up": "回访",
    "close": "回访结束,工单办结",
    "reopen": "您对结果不满意,已退回承办单位重新办理",
    "chase": "催办",
    "supervise": "督办",
    "handle_directly": "市长热线直接办结",
}

FOLLOWUP_QUESTION = (
    "您好!这里是市长热线。您反映的问题(工单{number}),{department}已答复:\n{reply}\n"
    "请问您对办理结果是否满意?请回复:满意、基本满意或不满意。"
)
FOLLOWUP_SENT = "已在聊天中向市民发送办理结果和回访"
FOLLOWUP_NO_CHAT = "无法通过{channel}发送回访: {reason}"
FOLLOWUP_NO_ANSWER = "市民未在聊天中答复回访,转电话回访"

CHASE = {
    "dispatch": "派单时限将至,请于{due}前派单",
    "finish": "办理时限将至,请于{due}前办结并答复",
}
SUPERVISE = {
    "dispatch": "已超过派单时限{due}仍未派单",
    "finish": "已超过办理时限{due}仍未答复",
    "unsatisfied": "市民对办理结果不满意",
}

# A simple request (简单诉求): the unit's number is given, and a work order is still offered.
REFERRAL_OFFER = (
    "如您仍希望由我们登记并转交{department}办理,请回复“需要”,我会为您详细登记;"
    "如不需要,请回复“不用了”。"
)
# An unreasonable suggestion (不合理建议), declined politely, recorded and closed by the hotline.
SUGGESTION_RECORDED = "您的建议我们已如实记录,记录编号{number}。"
DIRECT_HANDLING = "不合理建议,已向市民婉言说明:{answer}"  # 直办: how it was handled and the result
PRAISE_HANDLING = "表扬热线服务,已向市民致谢,转热线管理办公室存档"
