"""The carrier's published rules (DOMAIN.md, from the source): the data packs
ordered by texting their code to 10086, the price of data beyond every
allowance, and the months that bills and usage are kept by.

Money is integer fen, data integer KB (1 MB = 1024 KB).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .errors import UnknownPack

KB_PER_MB = 1024


@dataclass(frozen=True)
class DataPack:
    code: str
    price_fen: int
    data_kb: int

    @property
    def name(self) -> str:
        return f"{self.price_fen // 100}元{self.data_kb // KB_PER_MB}M国内流量包"


# Texting the code to 10086 orders the pack.
DATA_PACKS = (
    DataPack("G5", 500, 30 * KB_PER_MB),
    DataPack("G10", 1000, 70 * KB_PER_MB),
    DataPack("G20", 2000, 150 * KB_PER_MB),
    DataPack("G30", 3000, 280 * KB_PER_MB),
    DataPack("G50", 5000, 500 * KB_PER_MB),
)
# Beyond the plan and the packs: 1 yuan per MB.
OVERAGE_FEN_PER_MB = 100


def data_pack(code: str) -> DataPack:
    """The pack with this code (case-insensitive); raises UnknownPack."""
    wanted = (code or "").strip().upper()
    for pack in DATA_PACKS:
        if pack.code == wanted:
            return pack
    raise UnknownPack()


def overage_fen(overage_kb: int) -> int:
    """What data beyond every allowance costs: each MB begun at OVERAGE_FEN_PER_MB."""
    return -(-overage_kb // KB_PER_MB) * OVERAGE_FEN_PER_MB


def month_of(at: datetime) -> str:
    """The local month of `at`, as 'YYYY-MM'."""
    return timezone.localtime(at).strftime("%Y-%m")


def months_before(at: datetime, count: int) -> list[str]:
    """The `count` whole months before the month of `at`, newest first."""
    local = timezone.localtime(at)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    return months


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧***: enough to confirm, not enough to learn."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
