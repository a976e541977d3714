"""The lobby display's own voice: short Mandarin clips rendered once with
espeak-ng and served as static files, for screens whose browser has no
Chinese speech voice (a display never needs the internet).

An announcement is played as a chain of clips, e.g. "请 A023 号到 5 号窗口办理":
qing, letter-A, digit-0, digit-2, digit-3, hao, dao, counter-5, hao, chuangkou.
static/queueing/display/announcer.js knows the same names.

Debian's Mandarin dictionary lacks many characters and spells their pinyin
in English instead ("请" comes out as "king three"), so words are rendered
from tone-numbered pinyin with the `cmn-latn-pinyin` voice. Letters use the
`cmn` voice, which says them the way Chinese announcers do ("A" as "ei").
"""

import io
import shutil
import subprocess
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

PINYIN_VOICE = "cmn-latn-pinyin"
LETTER_VOICE = "cmn"
MAX_COUNTER = 30

# Digits one by one, as halls read ticket numbers: A023 is "A 零 二 三".
DIGITS = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]
_UNITS = ["", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]


@dataclass(frozen=True)
class Clip:
    name: str  # file name without extension
    voice: str
    text: str


def counter_pinyin(number: int) -> str:
    """A counter number as said in Mandarin: 5 "wu3", 12 "shi2 er4", 23 "er4 shi2 san1"."""
    if not 1 <= number <= 99:
        raise ValueError(number)
    tens, units = divmod(number, 10)
    words = []
    if tens:
        if tens > 1:
            words.append(_UNITS[tens])
        words.append("shi2")
    if units:
        words.append(_UNITS[units])
    return " ".join(words)


def voice_clips() -> list[Clip]:
    clips = [
        Clip("qing", PINYIN_VOICE, "qing3"),
        Clip("hao", PINYIN_VOICE, "hao4"),
        Clip("dao", PINYIN_VOICE, "dao4"),
        Clip("chuangkou", PINYIN_VOICE, "chuang1 kou3 ban4 li3"),
    ]
    clips += [Clip(f"digit-{d}", PINYIN_VOICE, pinyin) for d, pinyin in enumerate(DIGITS)]
    clips += [Clip(f"letter-{chr(c)}", LETTER_VOICE, chr(c)) for c in range(ord("A"), ord("Z") + 1)]
    clips += [Clip(f"counter-{n}", PINYIN_VOICE, counter_pinyin(n)) for n in range(1, MAX_COUNTER + 1)]
    return clips


class EspeakMissing(RuntimeError):
    pass


def espeak_binary() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise EspeakMissing(
            "espeak-ng is not installed. On Debian or Ubuntu: `sudo apt-get install espeak-ng`, "
            "then run `python manage.py render_voice` again."
        )
    return path


def render_clip(clip: Clip, *, speed: int = 150, binary: str | None = None) -> bytes:
    """The clip as mono 16-bit WAV at espeak-ng's own rate (22.05 kHz: resampling
    would only add artefacts), silence trimmed and level normalised."""
    result = subprocess.run(
        [binary or espeak_binary(), "-v", clip.voice, "-s", str(speed), "--stdout", clip.text],
        capture_output=True, check=True, timeout=30,
    )
    with wave.open(io.BytesIO(result.stdout)) as source:
        if (source.getnchannels(), source.getsampwidth()) != (1, 2):
            raise ValueError("espeak-ng should write mono 16-bit audio")
        rate = source.getframerate()
        samples = array("h", source.readframes(source.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    samples = _normalise(_trim(samples, rate=rate))
    if sys.byteorder == "big":
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(samples.tobytes())
    return out.getvalue()


def _trim(samples: array, *, rate: int, threshold: int = 300, pad_seconds: float = 0.02) -> array:
    """Cut the leading and trailing silence espeak-ng adds, so clips chain tightly."""
    loud = [i for i, value in enumerate(samples) if abs(value) > threshold]
    if not loud:
        return samples
    pad = int(pad_seconds * rate)
    return samples[max(loud[0] - pad, 0):min(loud[-1] + 1 + pad, len(samples))]


def _normalise(samples: array, *, peak: int = 26_000) -> array:
    current = max((abs(value) for value in samples), default=0)
    if current == 0:
        return samples
    gain = peak / current
    return array("h", (max(-32768, min(32767, round(value * gain))) for value in samples))


def render_all(target: Path, *, speed: int = 150) -> list[Path]:
    """Render every clip into `target`; returns the files written."""
    binary = espeak_binary()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for clip in voice_clips():
        path = target / f"{clip.name}.wav"
        path.write_bytes(render_clip(clip, speed=speed, binary=binary))
        written.append(path)
    return written
