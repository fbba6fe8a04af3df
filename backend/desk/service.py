"""The order desk's rules, one door for the routes, views, export, jobs and tests. Routes (JSON API
and embed views) stay thin and call these. The rules live by subject:

- `fields`: status slugs and labels, the validation error;
- `listing`: filters and keyset pages of the order list, what each row shows;
- `counts`: the status tabs and their counts (and the job that folds them);
- `status_changes`: status changes written to WooCommerce first (O1);
- `manual_orders`: sequential discounts (O3) and manual orders (O2);
- `tags`: order tags (O6);
- `order_tasks`: orders assigned to staff, calls to confirm them by phone, each person's figures (T3).
"""
from backend.desk.fields import (  # noqa: F401
    CORE_STATUSES, STATUS_LABELS, STATUS_RE, invalid, orders_by_wc_id, status_label,
)
from backend.desk.listing import (  # noqa: F401
    ListFilters, MAX_DAYS, MAX_PAGE_SIZE, PAGE_SIZE, consignments_of_orders, decode_cursor, encode_cursor,
    filter_orders, list_orders, newest_since, order_row, parse_filters, tags_of_orders,
)
from backend.desk.counts import (  # noqa: F401
    NOT_LISTED, TABS, fold_status_counts, settable_statuses, status_counts, tab_counts,
)
from backend.desk.status_changes import (  # noqa: F401
    change_status, checked_change, results_of_job, shop_language, start_status_change, status_note,
)
from backend.desk.manual_orders import (  # noqa: F401
    Discount, HUNDRED, MAX_DISCOUNTS, MAX_LINES, ManualOrder, PAYMENT_METHODS, POISHA, Quote, apply_discounts,
    create_and_wait, quote_form, read_discounts, read_lines, validate_manual_order, woocommerce_payload,
)
from backend.desk.tags import (  # noqa: F401
    COLOUR_RE, create_tag, delete_tag, edit_tag, ids_from, list_tags, tag_orders,
)
from backend.desk.order_tasks import (  # noqa: F401
    OUTCOMES, assign_orders, assigned_to, confirm_orders, list_staff, my_open_count, outcome_label, parse_due,
    save_task_settings, see_staff, staff_names, task_settings, tasks_of_orders, team_figures, unconfirmed_reasons,
)
