"""The RQ side of jobs: the entry points RQ may call, pushing rows to queues, the worker and the
runner that run a job, its state transitions, and the reads of queues and live workers."""
