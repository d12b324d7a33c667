"""Contains all the data models used in inputs/outputs"""

from .audit_action_enum import AuditActionEnum
from .audit_change import AuditChange
from .audit_entry_output import AuditEntryOutput
from .audit_entry_output_snapshot import AuditEntryOutputSnapshot
from .audit_event_output import AuditEventOutput
from .audit_event_output_snapshot import AuditEventOutputSnapshot
from .audit_feed_output import AuditFeedOutput
from .audit_model_enum import AuditModelEnum
from .audit_via import AuditVia
from .csrf_token_output import CsrfTokenOutput
from .deleted_schedule_output import DeletedScheduleOutput
from .deleted_schedule_output_data import DeletedScheduleOutputData
from .event_enum import EventEnum
from .job_batch_input import JobBatchInput
from .job_batch_output import JobBatchOutput
from .job_error_output import JobErrorOutput
from .job_event_output import JobEventOutput
from .job_log_line import JobLogLine
from .job_log_output import JobLogOutput
from .job_output import JobOutput
from .job_output_kwargs import JobOutputKwargs
from .job_output_labels import JobOutputLabels
from .job_progress_output import JobProgressOutput
from .job_state_enum import JobStateEnum
from .job_submit_input import JobSubmitInput
from .job_submit_input_kwargs import JobSubmitInputKwargs
from .job_submit_input_labels import JobSubmitInputLabels
from .me_output import MeOutput
from .misfire_policy_enum import MisfirePolicyEnum
from .overlap_policy_enum import OverlapPolicyEnum
from .paginated_audit_entry_output_list import PaginatedAuditEntryOutputList
from .paginated_deleted_schedule_output_list import PaginatedDeletedScheduleOutputList
from .paginated_job_output_list import PaginatedJobOutputList
from .paginated_schedule_output_list import PaginatedScheduleOutputList
from .paginated_token_output_list import PaginatedTokenOutputList
from .paginated_version_output_list import PaginatedVersionOutputList
from .patched_schedule_change_input import PatchedScheduleChangeInput
from .patched_schedule_change_input_kwargs import PatchedScheduleChangeInputKwargs
from .problem import Problem
from .problem_field_error import ProblemFieldError
from .queue_enum import QueueEnum
from .queue_history_output import QueueHistoryOutput
from .queue_history_point import QueueHistoryPoint
from .queue_output import QueueOutput
from .schedule_at_input import ScheduleAtInput
from .schedule_at_input_kwargs import ScheduleAtInputKwargs
from .schedule_at_kind_enum import ScheduleAtKindEnum
from .schedule_cron_input import ScheduleCronInput
from .schedule_cron_input_kwargs import ScheduleCronInputKwargs
from .schedule_cron_kind_enum import ScheduleCronKindEnum
from .schedule_interval_input import ScheduleIntervalInput
from .schedule_interval_input_kwargs import ScheduleIntervalInputKwargs
from .schedule_interval_kind_enum import ScheduleIntervalKindEnum
from .schedule_kind_enum import ScheduleKindEnum
from .schedule_output import ScheduleOutput
from .schedule_output_kwargs import ScheduleOutputKwargs
from .schedule_preview_output import SchedulePreviewOutput
from .schedule_state_enum import ScheduleStateEnum
from .session_create_input import SessionCreateInput
from .task_enum import TaskEnum
from .task_output import TaskOutput
from .task_output_parameters import TaskOutputParameters
from .token_create_input import TokenCreateInput
from .token_created_output import TokenCreatedOutput
from .token_output import TokenOutput
from .user_ref import UserRef
from .version_output import VersionOutput
from .version_output_data import VersionOutputData
from .worker_output import WorkerOutput

__all__ = (
    "AuditActionEnum",
    "AuditChange",
    "AuditEntryOutput",
    "AuditEntryOutputSnapshot",
    "AuditEventOutput",
    "AuditEventOutputSnapshot",
    "AuditFeedOutput",
    "AuditModelEnum",
    "AuditVia",
    "CsrfTokenOutput",
    "DeletedScheduleOutput",
    "DeletedScheduleOutputData",
    "EventEnum",
    "JobBatchInput",
    "JobBatchOutput",
    "JobErrorOutput",
    "JobEventOutput",
    "JobLogLine",
    "JobLogOutput",
    "JobOutput",
    "JobOutputKwargs",
    "JobOutputLabels",
    "JobProgressOutput",
    "JobStateEnum",
    "JobSubmitInput",
    "JobSubmitInputKwargs",
    "JobSubmitInputLabels",
    "MeOutput",
    "MisfirePolicyEnum",
    "OverlapPolicyEnum",
    "PaginatedAuditEntryOutputList",
    "PaginatedDeletedScheduleOutputList",
    "PaginatedJobOutputList",
    "PaginatedScheduleOutputList",
    "PaginatedTokenOutputList",
    "PaginatedVersionOutputList",
    "PatchedScheduleChangeInput",
    "PatchedScheduleChangeInputKwargs",
    "Problem",
    "ProblemFieldError",
    "QueueEnum",
    "QueueHistoryOutput",
    "QueueHistoryPoint",
    "QueueOutput",
    "ScheduleAtInput",
    "ScheduleAtInputKwargs",
    "ScheduleAtKindEnum",
    "ScheduleCronInput",
    "ScheduleCronInputKwargs",
    "ScheduleCronKindEnum",
    "ScheduleIntervalInput",
    "ScheduleIntervalInputKwargs",
    "ScheduleIntervalKindEnum",
    "ScheduleKindEnum",
    "ScheduleOutput",
    "ScheduleOutputKwargs",
    "SchedulePreviewOutput",
    "ScheduleStateEnum",
    "SessionCreateInput",
    "TaskEnum",
    "TaskOutput",
    "TaskOutputParameters",
    "TokenCreateInput",
    "TokenCreatedOutput",
    "TokenOutput",
    "UserRef",
    "VersionOutput",
    "VersionOutputData",
    "WorkerOutput",
)
