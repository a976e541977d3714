"""Every report table as CSV or XLSX: the same columns as the JSON, with
Chinese and English headers. CSV carries a UTF-8 byte-order mark so that
Excel opens the Chinese correctly."""

import csv
import io
from collections.abc import Sequence

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = ("json", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Column key -> header (Chinese / English).
HEADERS = {
    "date": "日期 / Date",
    "period": "时段 / Period",
    "code": "编码 / Code",
    "name": "名称 / Name",
    "district": "区县 / District",
    "rank": "排名 / Rank",
    "halls": "营业厅数 / Halls",
    "agent": "营业员 / Agent",
    "username": "账号 / Username",
    "counter": "窗口 / Counter",
    "label": "窗口名称 / Counter name",
    "days": "天数 / Days",
    "issued": "取号 / Issued",
    "served": "办结 / Served",
    "no_show": "过号 / No-show",
    "cancelled": "取消 / Cancelled",
    "cancelled_by_staff": "工作人员取消 / Cancelled by staff",
    "closed_unserved": "营业结束未办 / Closed unserved",
    "transferred": "转移 / Transferred",
    "avg_wait_seconds": "平均等候(秒) / Avg wait (s)",
    "p90_wait_seconds": "90%等候(秒) / P90 wait (s)",
    "avg_handle_seconds": "平均办理(秒) / Avg handle (s)",
    "service_level": "服务水平 / Service level",
    "no_show_rate": "过号率 / No-show rate",
    "ratings": "评价数 / Ratings",
    "avg_rating": "平均评分 / Avg rating",
    "busy_seconds": "忙碌(秒) / Busy (s)",
    "paused_seconds": "暂停(秒) / Paused (s)",
    "open_seconds": "在岗(秒) / Signed in (s)",
    "idle_seconds": "空闲(秒) / Idle (s)",
    "utilisation": "利用率 / Utilisation",
}


def table_response(rows: Sequence[dict], columns: Sequence[str], *, fmt: str, filename: str) -> HttpResponse:
    """`rows` (dicts) as a CSV or XLSX download with `columns` in order."""
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow([HEADERS.get(c, c) for c in columns])
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    book = Workbook()
    sheet = book.active
    sheet.title = filename[:31]
    sheet.append([HEADERS.get(c, c) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    for i, c in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(HEADERS.get(c, c)) + 2))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
