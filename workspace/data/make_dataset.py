"""Make the small data set that the DVC chapter versions.

    python data/make_dataset.py --version 1    # writes data/sensors.csv (about 230 KB)
    python data/make_dataset.py --version 2    # the same file, grown by a third year of readings

The numbers are synthetic: readings of a few made-up weather stations. Nothing is downloaded,
and the output is the same, byte for byte, on every machine and every run (a fixed random
seed and fixed number formatting), so two learners who make version 1 get the same DVC hash.

Version 2 keeps every row of version 1 and appends a second batch of days, the way a real
data set grows. DVC then tracks two versions of one file, and `git checkout` of the older
.dvc file plus `dvc checkout` brings the older bytes back.
"""

import argparse
import csv
import math
import random
import sys
from datetime import date, timedelta
from pathlib import Path

STATIONS = ["north", "south", "east", "west", "harbour", "airport", "hill", "forest", "lake", "centre"]
START = date(2021, 1, 1)
# Days per version: version 1 covers DAYS[1] days, version 2 continues to DAYS[2] days.
DAYS = {1: 730, 2: 1095}
SEED = 2021

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "sensors.csv"


def readings(days):
    """Yields one row per station and day, always in the same order with the same values."""
    rng = random.Random(SEED)
    for day in range(days):
        when = START + timedelta(days=day)
        # A yearly temperature cycle plus noise; humidity falls as temperature rises.
        season = math.sin(2 * math.pi * (day - 100) / 365)
        for index, station in enumerate(STATIONS):
            temperature = 10 + 12 * season + index * 0.7 + rng.gauss(0, 2.5)
            humidity = min(100.0, max(5.0, 70 - 1.2 * (temperature - 10) + rng.gauss(0, 6)))
            rain = max(0.0, rng.gauss(-1, 4))
            yield [when.isoformat(), station, f"{temperature:.2f}", f"{humidity:.1f}", f"{rain:.1f}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", type=int, choices=sorted(DAYS), default=1, help="which version of the data set to write")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"where to write it (default: {DEFAULT_OUTPUT.name} next to this script)")
    args = parser.parse_args(argv)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    # newline="" and lineterminator="\n": the same bytes on Windows as on Linux and macOS.
    with args.output.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date", "station", "temperature_c", "humidity_pct", "rain_mm"])
        for row in readings(DAYS[args.version]):
            writer.writerow(row)
            rows += 1
    size_kb = args.output.stat().st_size / 1024
    print(f"Wrote version {args.version} of the data set: {args.output} ({rows} rows, {size_kb:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
