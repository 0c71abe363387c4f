"""Chat front desk for Chinese call centres (Rasa 3.6).

Every process that runs this package's code (the Rasa server through our NLU components and
stores, the action server through our actions, the command line) masks personal data in logs.
"""

from bot.logmask import install as _mask_personal_data_in_logs

_mask_personal_data_in_logs()
