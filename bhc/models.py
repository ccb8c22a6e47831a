"""Every feature's database models in one place, for Alembic and the tests.

Code of the exchange imports a model from its feature (``bhc.calls.models``); this module only
makes sure all of them are mapped on the one ``Base`` before the schema is read.
"""

from bhc.alerts.models import Alert
from bhc.attention.models import AttentionItem
from bhc.audit.models import AuditLog
from bhc.calls.models import (
    LIVE_LEG_STATUSES,
    CallLeg,
    CallToEnd,
    CarrierQueue,
    HelpRequest,
    Match,
    Reconnection,
    RequestState,
)
from bhc.db import NAMING, Base
from bhc.engines.models import EngineProcess
from bhc.followups.models import FollowUp, FollowUpState
from bhc.neighbourhoods.models import (
    Category,
    ExchangeNumber,
    Neighbourhood,
    NeighbourhoodAdjacency,
)
from bhc.people.models import BlockedNumber, Participant, ParticipantCategory, RegistrationCallback
from bhc.prompts.models import RecordedPrompt
from bhc.signups.models import SignUp, SignUpAttempt, SignUpState
from bhc.surveys.models import SurveyResponse, SurveyWave
from bhc.users.models import LoginFailure, Role, User, user_neighbourhoods

__all__ = [
    "Alert", "AttentionItem", "AuditLog", "Base", "BlockedNumber", "CallLeg", "CallToEnd",
    "CarrierQueue", "Category", "EngineProcess", "ExchangeNumber", "FollowUp",
    "FollowUpState", "HelpRequest", "LIVE_LEG_STATUSES", "LoginFailure", "Match", "NAMING",
    "Neighbourhood", "NeighbourhoodAdjacency", "Participant", "ParticipantCategory",
    "Reconnection", "RecordedPrompt", "RegistrationCallback", "RequestState", "Role", "SignUp",
    "SignUpAttempt", "SignUpState", "SurveyResponse", "SurveyWave", "User", "user_neighbourhoods",
]
