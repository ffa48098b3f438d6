"""HTTP for Dukcapil's figures (JSON, or CSV with ?format=csv) and for the denominators and targets behind them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from admin.errors import ReportEventNotFound, UnknownRegion
from admin.schemas import PopulationIn, ReportEventCreate, ReportEventRead, TargetIn
from admin.service import effect, population, report_events, reports
from core.auth import AuthedRequest, CurrentUser
from core.database.replica import ReportReads
from core.errors import Invalid
from core.guards import requires_dukcapil, requires_dukcapil_admin
from core.localtime import check_days
from core.openapi import raises
from core.problems import request_language
from core.settings import Settings
from core.stores import Stores
from core.web import csv_response, plain
from partners.errors import OfferNotFound
from verification.service import attempt_review
from verification.service.figures import small_cell_threshold

Region = Annotated[
    str | None,
    QueryParameter(
        max_length=13,
        description="A region code within your reach (default: your office's kabupaten/kota, your province, or for "
        "a national account the whole country)",
    ),
]
Day = Annotated[date | None, QueryParameter(description="Default: today (WIB); 2000-01-01 to 2100-12-31")]
From = Annotated[
    date | None, QueryParameter(name="from", description="First day (default: a year ago); 2000-01-01 to 2100-12-31")
]
Until = Annotated[
    date | None, QueryParameter(name="until", description="Last day (default: today); 2000-01-01 to 2100-12-31")
]
Format = Annotated[str, QueryParameter(pattern="^(json|csv)$")]
Group = Annotated[
    str,
    QueryParameter(
        pattern="^(partner|offer|outlet|kecamatan|age_band|month|partner_age_band|partner_kecamatan|kota)$",
        description="Dimension of the rows. Redemption figures are per calendar month: `from` and `until` select "
        "the months that contain them.",
    ),
]
Breakdown = Annotated[
    str | None,
    QueryParameter(
        pattern="^(kecamatan|kelurahan|kota|provinsi)$",
        description="Rows below the region: a kabupaten/kota by kecamatan or kelurahan; a province by kabupaten/kota "
        "(kota); the whole country by provinsi or kota",
    ),
]
Suppress = Annotated[bool, QueryParameter(description="Show cells of fewer than the threshold of children as <n")]


def _range(settings: Settings, first: date | None, last: date | None) -> tuple[date, date]:
    check_days({"from": first, "until": last})
    last = last or settings.today()
    return first or last.replace(year=last.year - 1), last


def _answer(rows: Any, format: str, filename: str) -> Any:
    rows = plain(rows)
    return csv_response(rows, filename) if format == "csv" else rows


class ReportController(Controller):
    path = "/api/v1/admin/reports"
    tags = ["reports"]
    guards = [requires_dukcapil]
    middleware = [ReportReads()]

    @get(
        "/coverage",
        summary="KIA holders against children aged 0–16 and the target, as of a date",
        opt=raises(UnknownRegion, Invalid),
    )
    async def coverage(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], region: Region = None,
        as_of: Day = None, breakdown: Breakdown = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        check_days({"as_of": as_of})
        result = await reports.coverage(reports.viewed_region(user, region), as_of or settings.today(), breakdown)
        if format == "csv":
            return _answer(result.kecamatan or [result], "csv", "cakupan-kia.csv")
        return plain(result)

    @get("/coverage/series", summary="Coverage at each month end", opt=raises(UnknownRegion))
    async def series(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], region: Region = None,
        first: From = None, last: Until = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        first, last = _range(settings, first, last)
        series = await reports.coverage_series(reports.viewed_region(user, region), first, last)
        return _answer(series, format, "cakupan-bulanan.csv")

    @get(
        "/redemptions",
        summary="Redemptions, unique children and discount per month by a dimension; net of voids",
        description="Counts the redemptions of the children of the region's kabupaten/kota, wherever they redeemed.",
        opt=raises(UnknownRegion),
    )
    async def redemptions(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], group: Group = "partner",
        first: From = None, last: Until = None, partner: FromQuery[uuid.UUID | None] = None, suppress: Suppress = True,
        region: Region = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        first, last = _range(settings, first, last)
        wanted = reports.RedemptionFilter(first, last, partner, reports.viewed_region(user, region))
        threshold = small_cell_threshold(user, settings, exact=not suppress)
        return _answer(await reports.redemptions_by(group, wanted, threshold), format, f"penukaran-{group}.csv")

    @get(
        "/refusals",
        summary="Refusals by reason and month, at the outlets of the region",
        opt=raises(UnknownRegion),
    )
    async def refusals(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], first: From = None,
        last: Until = None, partner: FromQuery[uuid.UUID | None] = None, region: Region = None,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        first, last = _range(settings, first, last)
        wanted = reports.RedemptionFilter(first, last, partner, reports.viewed_region(user, region))
        return _answer(await reports.refusals_by_reason(wanted), format, "penolakan.csv")

    @get(
        "/activation",
        summary="Of cards enrolled each month, the share redeeming within 30 and 90 days",
        opt=raises(UnknownRegion),
    )
    async def activation(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], first: From = None,
        last: Until = None, region: Region = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        first, last = _range(settings, first, last)
        rows = await reports.activation(first, last, settings.today(), reports.viewed_region(user, region))
        return _answer(rows, format, "aktivasi.csv")

    @get("/channels", summary="Enrolments per channel and month", opt=raises(UnknownRegion))
    async def channels(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], first: From = None,
        last: Until = None, region: Region = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        first, last = _range(settings, first, last)
        return _answer(await reports.channels(first, last, reports.viewed_region(user, region)), format, "saluran.csv")

    @get("/issuance", summary="KIA prints per week (enrolled cards) with offer launches", opt=raises(UnknownRegion))
    async def issuance(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], region: Region = None,
        first: From = None, last: Until = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        first, last = _range(settings, first, last)
        region = reports.viewed_region(user, region)
        weeks = await reports.weekly_prints(region, first, last)
        if format == "csv":
            return _answer(weeks, "csv", "penerbitan-mingguan.csv")
        return {"weeks": weeks, "launches": await reports.launches(region)}

    @get(
        "/uplift",
        summary="KIA prints before and after each offer launch: difference-in-differences",
        description="Per kabupaten/kota (`region`, default your office's): its kecamatan with one of the partner's "
        "outlets against those without, and the city against the other cities of its province where the partner has "
        "no outlet.",
        opt=raises(OfferNotFound, UnknownRegion, Invalid),
    )
    async def uplift(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser], region: Region = None,
        offer: Annotated[uuid.UUID | None, QueryParameter(description="Only the launch of this offer")] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=500, description="The latest launches only")] = None,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        language = request_language(request)
        city = reports.uplift_city(reports.viewed_region(user, region))
        if offer is not None:
            rows = [await reports.uplift(offer, settings.today(), city, language)]
        else:
            rows = await reports.uplift_all(settings.today(), language, city, limit)
        return _answer(rows, format, "dampak-peluncuran.csv")

    @get(
        "/effect",
        summary="Do the incentives raise uptake? A staggered difference-in-differences of new KIAs per 1,000 "
        "children without one (Callaway & Sant'Anna 2021)",
        description="Units: the kecamatan of a kabupaten/kota (`region`, default your office's), or the "
        "kabupaten/kota of a province or the country; each treated from the month its first partner outlet's first "
        "offer was published; not-yet-treated units as controls. `status` is `ok` (with `estimate`, `ci_low`, "
        "`ci_high`, `event_study`, `pretrend_p_value`, `sensitivity`, `treated_units`, `control_units`), "
        "`not_enough_units`, or `computing` (202: estimated in a worker; ask again after `Retry-After`). `summary`: "
        "the answer in sentences (Indonesian, or English on request); `events`: the supply limits and other "
        "programmes written for the region (see /api/v1/admin/report-events). Cached until the data it reads "
        "changes. docs/reports.md explains it.",
        opt=raises(UnknownRegion),
        responses={HTTP_202_ACCEPTED: ResponseSpec(
            data_container=dict[str, str], generate_examples=False,
            description='Being estimated in a worker: `{"status": "computing"}`; ask again after `Retry-After` seconds',
        )},
    )  # fmt: skip
    async def effect_estimate(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], user: NamedDependency[CurrentUser],
        stores: NamedDependency[Stores], region: Region = None,
        age_group: Annotated[Literal["5_17", "under_5"], QueryParameter(
            description="5_17 (default): the ages discounts may move; under_5: issued with the birth certificate, "
            "a check that should show no effect")] = "5_17",
    ) -> Response[Any]:  # fmt: skip
        scope = reports.viewed_region(user, region)
        today = settings.today()
        key, found = await effect.cached(scope, today, age_group, stores)
        if found is None:
            return Response(
                {"status": "computing"}, status_code=HTTP_202_ACCEPTED, headers={"Retry-After": "2"},
                background=BackgroundTask(effect.compute, scope, today, age_group, key, stores),
            )  # fmt: skip
        found["summary"] = effect.describe(found, request_language(request))  # in the asker's language
        found["events"] = plain(await report_events.events_for(scope))
        return Response(found, headers={"Cache-Control": "private, no-store"})

    @get(
        "/quiet-partners",
        summary="Partners approved in the region with no redemption in 30 days",
        opt=raises(UnknownRegion),
    )
    async def quiet(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], region: Region = None,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        rows = await reports.quiet_partners(settings.today(), reports.viewed_region(user, region))
        return _answer(rows, format, "mitra-tanpa-penukaran.csv")


class PopulationController(Controller):
    path = "/api/v1/admin"
    tags = ["reports"]
    guards = [requires_dukcapil]

    @get("/population", summary="Children aged 0–16 per region and date, with their history")
    async def list_population(
        self, user: NamedDependency[CurrentUser], region: Annotated[str | None, QueryParameter()] = None
    ) -> Any:
        return plain(await population.population_history(user, region))

    @post(
        "/population",
        guards=[requires_dukcapil_admin],
        status_code=HTTP_201_CREATED,
        summary="Enter figures",
        opt=raises(Invalid),
    )
    async def add_population(self, data: JSONBody[list[PopulationIn]], request: AuthedRequest) -> dict[str, int]:
        entries = [population.PopulationEntry(e.region_code, e.as_of, e.children, e.source) for e in data]
        return {"recorded": await population.record_population(entries, request.user, lambda i: f"body[{i}].")}

    @post(
        "/population/imports", guards=[requires_dukcapil_admin], status_code=HTTP_201_CREATED,
        summary="Import figures from CSV: region_code, as_of, children_0_16, source", opt=raises(Invalid),
    )  # fmt: skip
    async def import_population(self, request: AuthedRequest) -> dict[str, int]:
        entries = population.parse_population_csv(await request.body())
        return {"recorded": await population.record_population(entries, request.user, population.csv_row)}

    @get("/targets", summary="Yearly coverage targets (national and regional), with their history")
    async def list_targets(self, user: NamedDependency[CurrentUser]) -> Any:
        return plain(await population.target_history(user))

    @post(
        "/targets",
        guards=[requires_dukcapil_admin],
        status_code=HTTP_201_CREATED,
        summary="Set a yearly target",
        opt=raises(Invalid),
    )
    async def add_target(self, data: JSONBody[TargetIn], request: AuthedRequest) -> dict[str, str]:
        await population.set_target(data.year, data.target_percent, data.region_code, data.source, request.user)
        return {"status": "recorded"}

    @get("/report-events", summary="Supply limits and other programmes that moved issuance, in your reach")
    async def list_report_events(self, user: NamedDependency[CurrentUser]) -> list[ReportEventRead]:
        return await report_events.events_for(user.region)

    @post(
        "/report-events", guards=[requires_dukcapil_admin], status_code=HTTP_201_CREATED, opt=raises(Invalid),
        summary="Write an event of your area beside the effect estimate: a supply limit (blank cards ran out) or "
        "another programme (a school-enrolment requirement)",
    )  # fmt: skip
    async def add_report_event(self, data: JSONBody[ReportEventCreate], request: AuthedRequest) -> ReportEventRead:
        return await report_events.add_event(data, request.user)

    @delete(
        "/report-events/{event_id:uuid}", guards=[requires_dukcapil_admin], opt=raises(ReportEventNotFound),
        summary="Remove an event of your area",
    )  # fmt: skip
    async def remove_report_event(self, event_id: FromPath[uuid.UUID], request: AuthedRequest) -> None:
        await report_events.remove_event(event_id, request.user)


class AttemptReviewController(Controller):
    """Disputes and fraud at the outlets within the office's reach: refusals by reason per outlet and cashier, voids,
    manual-code share, velocity flags, throttles, and the attempts behind them (never a child's identity)."""

    path = "/api/v1/admin/attempts"
    tags = ["reports"]
    guards = [requires_dukcapil]
    middleware = [ReportReads()]

    @get("/summary", summary="Per outlet and cashier within your reach; cashiers whose voids stand out are flagged")
    async def summary(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], first: From = None,
        last: Until = None,
    ) -> dict[str, Any]:  # fmt: skip
        return await attempt_review.summary(attempt_review.window(settings, first, last, scope=user.region))

    @get("/", summary="The attempts behind a figure, newest first")
    async def attempts(
        self, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser], first: From = None,
        last: Until = None, outlet_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        cashier_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        kind: Annotated[str | None, QueryParameter(pattern="^(scan|redeem|void|throttle)$")] = None,
        outcome: Annotated[str | None, QueryParameter(max_length=12)] = None,
        reason_code: Annotated[str | None, QueryParameter(max_length=40)] = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        rows = await attempt_review.attempts(
            attempt_review.window(settings, first, last, scope=user.region),
            outlet_id,
            cashier_id,
            kind,
            outcome,
            reason_code,
        )
        return _answer(rows, format, "percobaan.csv")
