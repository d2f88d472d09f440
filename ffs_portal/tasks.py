from celery import shared_task


@shared_task
def ping() -> str:
    """Answers "pong": lets /healthz and the tests see a worker complete a task."""
    return "pong"
