"""Import every model so metadata (Alembic, tests) sees the whole schema."""
from app.adults.models import AdultSafeguarding  # noqa: F401
from app.audit.models import AuditChainHead, AuditEvent  # noqa: F401
from app.auth.models import ApiToken, LoginThrottle, User, UserRole, UserSession  # noqa: F401
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback, StrategyDiscussion, Subject  # noqa: F401
from app.casework.models import NotificationMarker  # noqa: F401
from app.core.db import Base  # noqa: F401
from app.deadlines.models import Deadline, SchedulerLease  # noqa: F401
from app.disagreements.models import ProfessionalDisagreement  # noqa: F401
from app.domestic_abuse.models import DomesticAbuseChild, DomesticAbuseNotification  # noqa: F401
from app.inbox.models import OpenTask  # noqa: F401
from app.incidents.models import Incident  # noqa: F401
from app.intake.models import Contact  # noqa: F401
from app.lado.models import LadoAllegation, LadoMeeting  # noqa: F401
from app.marac.models import EncompassNotification, MaracAction, MaracReferral  # noqa: F401
from app.missing.models import MissingEpisode  # noqa: F401
from app.need_to_know.models import BreakGlassAccess, ReturnRelease  # noqa: F401
from app.notifications.models import Notification, NotificationPreference  # noqa: F401
from app.people.models import Person, PersonMerge, PersonRelationship, SubjectMatch  # noqa: F401
from app.process_models.models import ProcessVersion  # noqa: F401
from app.rota.models import DutyEscalation, DutyShift  # noqa: F401
from app.sharing.models import SharingDecision  # noqa: F401
from app.training.models import TrainingMarker, TrainingRun  # noqa: F401
