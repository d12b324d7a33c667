"""Serializers for operator endpoints and job logs."""

from rest_framework import serializers


class QueueOutput(serializers.Serializer):
    name = serializers.CharField()
    scheduled = serializers.IntegerField()
    deferred = serializers.IntegerField()
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    failed_24h = serializers.IntegerField()
    rq_queued = serializers.IntegerField(help_text="Length of the RQ queue")
    rq_started = serializers.IntegerField()
    rq_failed = serializers.IntegerField()
    workers = serializers.IntegerField()
    oldest_queued_seconds = serializers.FloatField(allow_null=True)
    max_depth = serializers.IntegerField(
        allow_null=True,
        help_text="Submits to this queue are refused (503) while rq_queued is at or above it; null = no cap",
    )


class QueueHistoryPoint(serializers.Serializer):
    at = serializers.DateTimeField(help_text="The end of the minute (the last point: of the current minute)")
    depth = serializers.IntegerField(help_text="Jobs waiting in the queue (pushed, not started) at `at`")
    finished = serializers.IntegerField(help_text="Jobs that ended (succeeded, failed, canceled) in the minute")


class QueueHistoryOutput(serializers.Serializer):
    name = serializers.CharField()
    points = QueueHistoryPoint(many=True)


class WorkerOutput(serializers.Serializer):
    name = serializers.CharField()
    state = serializers.CharField()
    queues = serializers.ListField(child=serializers.CharField())
    current_job = serializers.CharField(allow_null=True)
    successful_jobs = serializers.IntegerField()
    failed_jobs = serializers.IntegerField()
    birth = serializers.DateTimeField(allow_null=True)
    last_heartbeat = serializers.DateTimeField(allow_null=True)
    hostname = serializers.CharField(allow_null=True)
    pid = serializers.IntegerField(allow_null=True)


class JobLogLine(serializers.Serializer):
    at = serializers.DateTimeField()
    level = serializers.CharField()
    logger = serializers.CharField()
    message = serializers.CharField(allow_blank=True)


class JobLogOutput(serializers.Serializer):
    lines = JobLogLine(many=True)
    truncated = serializers.BooleanField()
