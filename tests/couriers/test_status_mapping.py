"""Every Steadfast delivery_status maps to one Bikri status; only settled ones are final."""
import pytest

from backend.couriers.labels import STATUS_LABELS
from backend.integrations.couriers import APPROVAL_PENDING_STATUSES, FINAL_STATUSES, STATUSES
from backend.integrations.couriers.steadfast import STATUS_TABLE, map_status

# Steadfast's documented values (reference §1.4) → (Bikri status, final?, awaiting approval?)
EXPECTED = {
    "in_review": ("in_review", False, False),
    "pending": ("pending", False, False),
    "hold": ("hold", False, False),
    "delivered_approval_pending": ("delivered_approval_pending", False, True),
    "partial_delivered_approval_pending": ("partial_delivered_approval_pending", False, True),
    "cancelled_approval_pending": ("cancelled_approval_pending", False, True),
    "unknown_approval_pending": ("unknown_approval_pending", False, True),
    "delivered": ("delivered", True, False),
    "partial_delivered": ("partial_delivered", True, False),
    "cancelled": ("cancelled", True, False),
    "unknown": ("unknown", False, False),
}


def test_the_table_covers_exactly_steadfasts_values():
    assert set(STATUS_TABLE) == set(EXPECTED)


@pytest.mark.parametrize("raw", sorted(EXPECTED))
def test_each_value(raw):
    status, final, approval = EXPECTED[raw]
    tracked = map_status(raw)
    assert (tracked.status, tracked.is_final, tracked.is_approval_pending) == (status, final, approval)
    assert tracked.courier_status == raw


@pytest.mark.parametrize("raw,status", [("Delivered", "delivered"), (" PARTIAL_DELIVERED ", "partial_delivered"),
                                        ("Cancelled Approval Pending", "cancelled_approval_pending")])
def test_case_and_spaces_do_not_matter(raw, status):
    assert map_status(raw).status == status


@pytest.mark.parametrize("raw", ["lost_in_space", "", None])
def test_an_undocumented_value_is_unknown_and_not_final(raw):
    tracked = map_status(raw)
    assert tracked.status == "unknown" and not tracked.is_final


def test_bikri_statuses_are_consistent_and_labelled():
    assert FINAL_STATUSES == {"delivered", "partial_delivered", "cancelled", "returned"}
    assert not FINAL_STATUSES & APPROVAL_PENDING_STATUSES
    assert set(STATUS_LABELS) == set(STATUSES)
    assert "awaiting" in str(STATUS_LABELS["delivered_approval_pending"])
