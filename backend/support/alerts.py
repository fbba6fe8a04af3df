"""The worker's side of the offline alert (tasks.py): one SMS from Bikri to its operators,
through the SMS gateway the console configured, at the gateway's shared pace. It is no shop's
message: nothing is debited and no shop's SMS history shows it. Idempotent like an SMS
delivery: the row is claimed (committed) before the gateway is asked, and the gateway
deduplicates on the alert's own id, so a retry never sends twice."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from backend.extensions import db
from backend.integrations.sms import SendResult, SmsGatewayError
from backend.sms.config import current_gateway, sms_settings
from backend.sms.sending import ask_gateway
from backend.support.models import OperatorAlert
from backend.tasks import coordination, enqueue
from backend.clock import utcnow

# a claim this old was a worker that died while the gateway answered: ask again, same id
STUCK_AFTER = timedelta(minutes=2)
# queued this long: the hand-over to the broker failed (a retry after a gateway error comes
# back within the task's backoff, a minute at most)
QUEUED_TOO_LONG = timedelta(minutes=2)


def _set(alert_id: int, *conditions, **values) -> OperatorAlert | None:
    return db.session.execute(
        update(OperatorAlert).where(OperatorAlert.id == alert_id, *conditions).values(**values)
        .returning(OperatorAlert).execution_options(synchronize_session=False)).scalar_one_or_none()


def _finish(alert_id: int, result: SendResult, gateway_key: str | None) -> str:
    status = "sent" if result.ok else "failed"
    _set(alert_id, OperatorAlert.status == "sending", status=status, gateway=gateway_key, finished_at=utcnow(),
         gateway_reference=result.reference if result.ok else None,
         error=None if result.ok else (result.error or "The gateway refused the message.")[:500])
    return status


def send(alert_id: int) -> str:
    """Returns the alert's status as this run leaves it."""
    coordination.take_turn("sms-gateway", current_app.config["SMS_GATEWAY_RATE"])
    try:  # read before the claim's commit: no connection is held while the gateway answers
        gateway, gateway_key, unusable = current_gateway(), sms_settings().gateway_key, None
    except (SmsGatewayError, ValueError) as error:
        gateway, gateway_key, unusable = None, None, str(error)
    now = utcnow()
    alert = _set(alert_id, or_(OperatorAlert.status == "queued",
                               (OperatorAlert.status == "sending") & (OperatorAlert.claimed_at < now - STUCK_AFTER)),
                 status="sending", claimed_at=now)
    if alert is None:
        db.session.rollback()
        return "not claimed"  # sent, failed, or another worker holds it
    # the claim is committed first (no second worker sends it), then the outcome, or the alert
    # queued again for the retry (the task raises next), is kept
    return ask_gateway(gateway, unusable, alert.phone, alert.content, alert.gateway_message_id,
                       record=lambda result: _finish(alert_id, result, gateway_key),
                       let_go=lambda error: _set(alert_id, OperatorAlert.status == "sending", status="queued",
                                                 error=error[:500]))


def gave_up(alert_id: int, error: str) -> None:
    _set(alert_id, OperatorAlert.status == "queued", status="failed", finished_at=utcnow(), error=(error or "not sent")[:500])


def resume_stuck_alerts() -> int:
    """The scheduler's sweep (jobs/table.py): hand on to the workers the alerts left behind.
    Sending again is safe: the claim takes an alert once, the gateway knows its id."""
    now = utcnow()
    touched = func.coalesce(OperatorAlert.claimed_at, OperatorAlert.created_at)
    stuck = db.session.execute(select(OperatorAlert.id, OperatorAlert.site_id).where(or_(
        (OperatorAlert.status == "queued") & (touched < now - QUEUED_TOO_LONG),
        (OperatorAlert.status == "sending") & (touched < now - STUCK_AFTER)))).all()
    for alert_id, site_id in stuck:
        enqueue("support.alert_operators", site_id=site_id, alert_id=alert_id)
    return len(stuck)
