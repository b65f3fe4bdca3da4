"""What a runs table shows, read from and written back to its URL's query string.

``?filter=<search grammar>&order=-metrics.loss&cols=metrics.loss&cols=params.lr&page=2&per=50
&view=active`` (and ``experiments=1,2`` across experiments). A column is ``<kind>.<key>``
with kind ``metrics``, ``params``, ``tags`` or ``attributes``; ``order`` is one column, led by
``-`` for descending. Everything here is pure: the page module runs the store calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from cairn.entities import Run, ViewType
from cairn.errors import InvalidInput

KINDS = ("metrics", "params", "tags")
PER_PAGE = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
DEFAULT_COLUMNS_PER_KIND = 8
MAX_PAGE = 1_000_000
SYSTEM_METRIC_PREFIX = "system/"  # CPU, memory, GPU samples: offered, not shown by default
SYSTEM_TAG_PREFIXES = ("mlflow.", "cairn.")  # bookkeeping tags: not offered (add by name)

# Attribute columns the store can sort by: URL name -> (label, store attribute).
SORTABLE_ATTRIBUTES = {
    "run_name": ("Run", "run_name"),
    "status": ("Status", "status"),
    "start_time": ("Started", "start_time"),
    "end_time": ("Ended", "end_time"),
    "user_id": ("User", "user_id"),
}
VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}


@dataclass(frozen=True, slots=True)
class Column:
    """A column of logged values: ``kind`` is metrics, params or tags."""

    kind: str
    key: str

    @property
    def id(self) -> str:
        """The column as the URL names it, ``metrics.loss``."""
        return f"{self.kind}.{self.key}"

    def value(self, run: Run) -> str | float | None:
        """The run's value in this column, or None."""
        found: dict[str, str] | dict[str, float] = getattr(run.data, self.kind)
        return found.get(self.key)


@dataclass(frozen=True, slots=True)
class Order:
    """Sorting by one column (a :class:`Column` id or an attribute name), either way."""

    column: str
    descending: bool

    @property
    def param(self) -> str:
        """As the URL writes it: ``-metrics.loss`` for descending."""
        return ("-" if self.descending else "") + self.column

    def store_order_by(self) -> list[str]:
        """The store's ``order_by`` item, keys quoted so that any character is allowed."""
        direction = "DESC" if self.descending else "ASC"
        kind, _, key = self.column.partition(".")
        if kind == "attributes":
            return [f"attributes.{SORTABLE_ATTRIBUTES[key][1]} {direction}"]
        quoted = key.replace("`", "``")
        return [f"{kind}.`{quoted}` {direction}"]


DEFAULT_ORDER = Order("attributes.start_time", descending=True)


def parse_column(text: str) -> Column:
    """``metrics.loss`` as a Column; InvalidInput naming the kinds allowed."""
    kind, dot, key = text.strip().partition(".")
    if not dot or kind not in KINDS or not key:
        raise InvalidInput(
            f"column {text!r} is not <kind>.<key> with kind metrics, params or tags "
            "(e.g. metrics.loss)"
        )
    return Column(kind, key)


def parse_order(text: str) -> Order:
    """``-metrics.loss`` or ``attributes.start_time`` as an Order; InvalidInput otherwise."""
    text = text.strip()
    descending = text.startswith("-")
    name = text.lstrip("-")
    kind, _, key = name.partition(".")
    if kind == "attributes":
        if key not in SORTABLE_ATTRIBUTES:
            allowed = ", ".join(sorted(SORTABLE_ATTRIBUTES))
            raise InvalidInput(f"cannot sort by {key!r}; sortable attributes: {allowed}")
        return Order(name, descending)
    return Order(parse_column(name).id, descending)


def _positive(text: str | None, name: str, default: int, limit: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= limit:
        raise InvalidInput(f"{name} must be a whole number from 1 to {limit}, got {text!r}")
    return int(text)


@dataclass(frozen=True)
class RunsView:
    """The state of a runs table: filter, order, columns, page and which runs (view)."""

    filter: str = ""
    order: Order = DEFAULT_ORDER
    columns: tuple[Column, ...] | None = None  # None: chosen from the runs shown
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    view: str = "active"
    experiment_ids: tuple[str, ...] = ()  # the /runs page only
    problems: list[str] = field(default_factory=list, compare=False)

    @property
    def view_type(self) -> ViewType:
        """The store's lifecycle filter for :attr:`view`."""
        return VIEWS[self.view]

    @property
    def offset(self) -> int:
        """How many runs come before this page."""
        return (self.page - 1) * self.per_page

    def query(self, **changes: object) -> str:
        """This view's query string (``?...``), with ``changes`` applied; defaults omitted."""
        view = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        items = view.items()
        return "?" + urlencode(items) if items else "?"

    def hidden_fields(self, *leave_out: str) -> list[tuple[str, str]]:
        """The query's items but ``leave_out``: hidden inputs of a form that sets those."""
        return [(name, value) for name, value in self.items() if name not in leave_out]

    def items(self) -> list[tuple[str, str]]:
        """The query string's items, defaults omitted."""
        view = self
        items: list[tuple[str, str]] = []
        if view.experiment_ids:
            items.append(("experiments", ",".join(view.experiment_ids)))
        if view.filter:
            items.append(("filter", view.filter))
        if view.order != DEFAULT_ORDER:
            items.append(("order", view.order.param))
        if view.columns is not None:
            items.extend(("cols", column.id) for column in view.columns)
            if not view.columns:
                items.append(("cols", ""))
        if view.page != 1:
            items.append(("page", str(view.page)))
        if view.per_page != DEFAULT_PER_PAGE:
            items.append(("per", str(view.per_page)))
        if view.view != "active":
            items.append(("view", view.view))
        return items

    def sort_query(self, column: str) -> str:
        """The query that sorts by ``column``: descending first, then flipping."""
        if self.order.column == column:
            order = Order(column, not self.order.descending)
        else:
            order = Order(column, descending=True)
        return self.query(order=order, page=1)


def read_view(params: list[tuple[str, str]], cross_experiments: bool = False) -> RunsView:
    """The view a query string asks for. A bad part is dropped and described in ``problems``
    (shown on the page), so that a mistyped link still opens."""
    values: dict[str, str] = {}
    columns: list[Column] | None = None
    problems: list[str] = []
    for name, value in params:
        if name == "cols":
            columns = columns if columns is not None else []
            if not value.strip():
                continue  # ``cols=`` alone: no columns of logged values
            try:
                column = parse_column(value)
            except InvalidInput as err:
                problems.append(err.message)
                continue
            if column not in columns:
                columns.append(column)
        else:
            values[name] = value
    order = DEFAULT_ORDER
    if values.get("order"):
        try:
            order = parse_order(values["order"])
        except InvalidInput as err:
            problems.append(err.message)
    page, per_page = 1, DEFAULT_PER_PAGE
    try:
        page = _positive(values.get("page"), "page", 1, MAX_PAGE)
    except InvalidInput as err:
        problems.append(err.message)
    try:
        per_page = _positive(values.get("per"), "per", DEFAULT_PER_PAGE, max(PER_PAGE))
    except InvalidInput as err:
        problems.append(err.message)
    view = values.get("view") or "active"
    if view not in VIEWS:
        problems.append(f"view {view!r} is not one of {', '.join(VIEWS)}")
        view = "active"
    experiment_ids: tuple[str, ...] = ()
    if cross_experiments and values.get("experiments"):
        experiment_ids = tuple(
            part.strip() for part in values["experiments"].split(",") if part.strip()
        )
    return RunsView(
        filter=values.get("filter", "").strip(),
        order=order,
        columns=tuple(columns) if columns is not None else None,
        page=page,
        per_page=per_page,
        view=view,
        experiment_ids=experiment_ids,
        problems=problems,
    )


def default_columns(runs: list[Run], limit: int = DEFAULT_COLUMNS_PER_KIND) -> tuple[Column, ...]:
    """Columns for a table whose URL names none: the metrics (but system ones), then the
    params, that the runs have."""
    keys = available_keys(runs)
    metrics = [key for key in keys["metrics"] if not key.startswith(SYSTEM_METRIC_PREFIX)]
    return tuple(
        [Column("metrics", key) for key in metrics[:limit]]
        + [Column("params", key) for key in keys["params"][:limit]]
    )


def available_keys(runs: list[Run], extra: tuple[Column, ...] = ()) -> dict[str, list[str]]:
    """Every metric, param and tag key of ``runs`` (and of ``extra`` columns), sorted."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for run in runs:
        found["metrics"].update(run.data.metrics)
        found["params"].update(run.data.params)
        found["tags"].update(k for k in run.data.tags if not k.startswith(SYSTEM_TAG_PREFIXES))
    for column in extra:
        found[column.kind].add(column.key)
    return {kind: sorted(keys) for kind, keys in found.items()}


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` runs fill (at least one)."""
    return max(1, -(-total // per_page))
