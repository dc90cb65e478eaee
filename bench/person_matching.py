"""How fast the person index proposes matches with half a million people on file, on SQLite and PostgreSQL.

For each backend: a fresh migrated database, then ``--people`` person records (500,000 by default) written by bulk
insert (executemany on SQLite, COPY on PostgreSQL): common and rare names, children and adults, postcodes shared
by a few households, NHS numbers for most, and one record in twenty merged into an earlier one under a variant of
its name (the clusters that confirmed matches make). Then ``--queries`` lookups through the same code intake uses
(app.people.matching.search), half of them true matches disguised the way referrers disguise them (a typo, a
nickname, names swapped, day and month swapped, no date of birth but the postcode), half people not on file.
Prints p50/p95/max milliseconds, how many records each lookup examined, and how often the true person came top.
Figures, never pass/fail.

    .venv/bin/python bench/person_matching.py [--people 500000] [--queries 1000] [--no-postgres] [--postgres URL]
"""
from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchlib import on_sqlite_and_postgres, percentile, use_project_venv  # bench/ is on sys.path when a script runs

use_project_venv()

from app.cli import migrate  # noqa: E402
from app.core.config import load_settings  # noqa: E402
from app.core.db import init_db  # noqa: E402
from app.people.clusters import root_of  # noqa: E402
from app.people.matching import Candidate, search  # noqa: E402
from app.people.names import NAME_VARIANTS, family_key, given_key  # noqa: E402

GIVEN = ["Oliver", "Noah", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry", "Theodore",
         "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas", "Finley", "Arlo", "William", "Lucas",
         "Roman", "Tommy", "Isaac", "Teddy", "Alexander", "Luca", "Edward", "James", "Joshua", "Albie", "Elijah",
         "Max", "Mohammed", "Reuben", "Mason", "Sebastian", "Rory", "Jude", "Louie", "Benjamin", "Ethan", "Adam",
         "Hunter", "Logan", "Jaxon", "Ezra", "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence",
         "Mia", "Willow", "Rosie", "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella",
         "Evelyn", "Phoebe", "Sofia", "Evie", "Charlotte", "Harper", "Millie", "Matilda", "Maya", "Sophie", "Alice",
         "Emilia", "Isabelle", "Ruby", "Sophie", "Aria", "Maisie", "Hallie", "Eva", "Lottie", "Ayla", "Layla", "Esme",
         "Violet", "Bonnie", "Margot", "Robert", "John", "Elizabeth", "Katherine", "Stephen", "Jonathan", "Fatima",
         "Aisha", "Yusuf", "Ibrahim", "Zara", "Amira", "Kai", "Jayden", "Tyler", "Kayden", "Leah", "Chloe", "Jessica",
         "Hannah", "Lauren", "Bethany", "Megan", "Ryan", "Liam", "Dylan", "Connor", "Callum", "Kieran", "Shannon",
         "Jade", "Courtney"]
COMMON_FAMILY = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
                 "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
                 "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
                 "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
                 "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell",
                 "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller",
                 "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum",
                 "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt",
                 "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd",
                 "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham",
                 "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott",
                 "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole",
                 "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose",
                 "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson",
                 "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn",
                 "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland", "Hawkins", "Harding", "Porter", "Robertson",
                 "Newton", "Oliver", "Reed", "Kennedy", "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane",
                 "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop", "Walton", "Burns", "Nicholson",
                 "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren", "Nicholls", "Hamilton", "Byrne", "Sutton",
                 "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor", "Harper", "Coleman",
                 "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp", "Hardy", "Wheeler",
                 "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace", "George", "Jordan", "Hutchinson",
                 "Rahman", "Okafor", "Nowak", "Kowalski", "Mensah", "Okoro", "Adeyemi", "Osei", "Nguyen", "Chen",
                 "Wang", "Silva", "Santos", "Costa", "Popescu", "Ionescu", "Yilmaz", "Demir"]
SYLLABLES = ["ab", "al", "an", "ar", "as", "ba", "be", "bo", "ca", "ce", "da", "de", "do", "el", "en", "er", "fa",
             "fe", "ga", "ge", "ha", "he", "ho", "ia", "ib", "in", "ka", "ke", "ko", "la", "le", "lo", "ma", "me",
             "mi", "mo", "na", "ne", "no", "ol", "on", "or", "pa", "pe", "ra", "re", "ri", "ro", "sa", "se", "so",
             "ta", "te", "to", "ul", "un", "ur", "va", "ve", "wa", "we", "ya", "yo", "za"]
NICKNAMES = {group[0]: group[1:] for group in NAME_VARIANTS}
OUTWARD = [f"{area}{district}" for area in ("E", "N", "SE", "SW", "W", "NW", "B", "M", "LS", "BS", "L", "S", "NG",
                                             "CF", "G", "EH", "BN", "OX", "CB", "LE") for district in range(1, 30)]
BORN_FROM = date(1960, 1, 1)


def rare_family(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize()


def nhs_number(rng: random.Random) -> str | None:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def birth_date(rng: random.Random) -> date:
    if rng.random() < 0.7:  # children and young people, mostly
        return date(2027, 1, 1) - timedelta(days=rng.randint(0, 18 * 365))
    return BORN_FROM + timedelta(days=rng.randint(0, 40 * 365))


def variant_of(rng: random.Random, given: str) -> str:
    """A nickname where the name has one, else the name with one letter changed (how a record drifts)."""
    nicknames = NICKNAMES.get(given.lower())
    if nicknames:
        return rng.choice(nicknames).capitalize()
    return typo(rng, given)


def typo(rng: random.Random, name: str) -> str:
    """Two neighbouring letters swapped, or one letter doubled or dropped: the commonest slips."""
    if len(name) < 4:
        return name + name[-1]
    i = rng.randint(1, len(name) - 2)
    kind = rng.choice(("swap", "double", "drop"))
    if kind == "swap":
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1:]


# ----------------------------------------------------------------------------- filling the index
def people_rows(rng: random.Random, count: int) -> list[tuple]:
    """(id, given, family, dob, nhs, gender, address, postcode, given_key, family_key, merged_into_id, created_at)."""
    keys_g: dict[str, str] = {}
    keys_f: dict[str, str] = {}
    postcodes = [f"{rng.choice(OUTWARD)}{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                 f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" for _ in range(max(1, count // 8))]
    created = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[tuple] = []
    for person_id in range(1, count + 1):
        merged_into = None
        if person_id > 1000 and rng.random() < 0.05:  # a later record of someone already on file, confirmed
            earlier = rows[rng.randrange(0, len(rows))]
            merged_into = earlier[10] or earlier[0]
            given, family, born, nhs, gender, postcode = (variant_of(rng, earlier[1]), earlier[2], earlier[3],
                                                          earlier[4], earlier[5], earlier[7])
        else:
            given = rng.choice(GIVEN)
            family = rng.choice(COMMON_FAMILY) if rng.random() < 0.55 else rare_family(rng)
            born = birth_date(rng) if rng.random() < 0.9 else None
            nhs = nhs_number(rng) if rng.random() < 0.6 else None
            gender = rng.choice(("1", "2"))
            postcode = rng.choice(postcodes) if rng.random() < 0.85 else None
        g = keys_g.get(given) or keys_g.setdefault(given, given_key(given))
        f = keys_f.get(family) or keys_f.setdefault(family, family_key(family))
        address = f"{rng.randint(1, 200)} Any Street, {postcode[:-3]} {postcode[-3:]}" if postcode else None
        rows.append((person_id, given, family, born, nhs, gender, address, postcode, g, f, merged_into, created))
    return rows


COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "nhs_number", "gender", "address", "postcode",
           "given_key", "family_key", "merged_into_id", "created_at")


def fill(url: str, rows: list[tuple]) -> None:
    db = init_db(url)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if url.startswith("sqlite"):
            # As SQLAlchemy stores them on SQLite: ISO text, UTC without an offset.
            naive = [(*row[:3], row[3] and row[3].isoformat(), *row[4:-1], row[-1].strftime("%Y-%m-%d %H:%M:%S.%f"))
                     for row in rows]
            cursor.execute("BEGIN")  # the app's SQLite connections are in autocommit mode until asked
            placeholders = ", ".join("?" * len(COLUMNS))
            cursor.executemany(f"INSERT INTO person ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608
                               naive)  # (the bench's own column names)
        else:
            with cursor.copy(f"COPY person ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("SELECT setval('person_id_seq', (SELECT max(id) FROM person))")
        raw.commit()
        cursor.execute("ANALYZE")  # fresh statistics, as a running hub's database has
        raw.commit()
    finally:
        raw.close()
    db.dispose()


# ----------------------------------------------------------------------------- the lookups
DISGUISES = ("typo in the given name", "typo in the family name", "nickname", "names swapped",
             "day and month swapped", "no date of birth, same postcode", "exact")


def disguise(rng: random.Random, row: tuple, how: str) -> Candidate:
    _, given, family, born, _nhs, gender, _, postcode, *_ = row
    exact = Candidate(given, family, born, None, gender, postcode)
    if how == "typo in the given name":
        return replace(exact, given_name=typo(rng, given))
    if how == "typo in the family name":
        return replace(exact, family_name=typo(rng, family))
    if how == "nickname":
        return replace(exact, given_name=variant_of(rng, given))
    if how == "names swapped":
        return replace(exact, given_name=family, family_name=given)
    if how == "day and month swapped" and born and born.day <= 12 and born.day != born.month:
        return replace(exact, date_of_birth=date(born.year, born.day, born.month))
    if how == "no date of birth, same postcode":
        return replace(exact, date_of_birth=None)
    return exact


def stranger(rng: random.Random) -> Candidate:
    return Candidate(rng.choice(GIVEN), rare_family(rng) + rng.choice(("ski", "ton", "well")), birth_date(rng),
                     None, rng.choice(("1", "2")), None)


def measure(url: str, rows: list[tuple], queries: int, seed: int) -> None:
    rng = random.Random(seed)
    db = init_db(url)
    # True matches: people with a date of birth or a postcode to be found by (as intake's would be).
    findable = [row for row in rows if row[10] is None and (row[3] or row[7])]
    timings: dict[str, list[float]] = {"true match": [], "not on file": []}
    examined: dict[str, list[int]] = {"true match": [], "not on file": []}
    found_top = found_any = 0
    by_disguise: dict[str, list[int]] = {how: [0, 0] for how in DISGUISES}
    with db.unit_of_work(write=False) as session:
        search(session, stranger(rng))  # warm the connection and statement caches
        for i in range(queries):
            if i % 2 == 0:
                row = rng.choice(findable)
                how = rng.choice(DISGUISES)
                wanted, kind = disguise(rng, row, how), "true match"
            else:
                row, how, wanted, kind = None, None, stranger(rng), "not on file"
            started = time.perf_counter()
            result = search(session, wanted)
            timings[kind].append((time.perf_counter() - started) * 1000)
            examined[kind].append(result.examined)
            if row is not None:
                root = root_of(session, row[0])
                ids = [m.person_id for m in result.matches]
                found_top += bool(ids) and ids[0] == root
                found_any += root in ids
                by_disguise[how][0] += 1
                by_disguise[how][1] += root in ids
    db.dispose()
    print(f"    {'lookups':<14} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'examined p50':>13} "
          f"{'p95':>6} {'max':>6}")
    for kind in timings:
        t, e = timings[kind], examined[kind]
        print(f"    {kind:<14} {len(t):>5} {percentile(t, 0.5):>8.2f} {percentile(t, 0.95):>8.2f} {max(t):>8.2f} "
              f"{percentile(e, 0.5):>13} {percentile(e, 0.95):>6} {max(e):>6}")
    true = len(timings["true match"])
    print(f"    true person proposed: {found_any}/{true} ({found_any / true:.0%}); proposed first: {found_top}/{true}")
    print("    proposed, by disguise: " + ", ".join(f"{how} {hit}/{n}" for how, (n, hit) in by_disguise.items() if n))


def prepare(url: str, instance: Path) -> None:
    migrate(load_settings(database_url=url, instance_path=instance))


def run(backend: str, url: str, rows: list[tuple], args: argparse.Namespace, workdir: Path) -> None:
    print(f"{backend}:", flush=True)
    started = time.perf_counter()
    prepare(url, workdir / backend.split()[0])
    fill(url, rows)
    print(f"  filled {len(rows):,} person records in {time.perf_counter() - started:.0f} s", flush=True)
    measure(url, rows, args.queries, args.seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres", metavar="URL",
                        help="an empty PostgreSQL database to use instead of a throwaway server")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = people_rows(random.Random(args.seed), args.people)
    merged = sum(1 for row in rows if row[10] is not None)
    print(f"Person index: {args.people:,} records ({merged:,} merged into another), generated in "
          f"{time.perf_counter() - started:.0f} s; {args.queries} lookups (half true matches, half not on file).",
          flush=True)
    on_sqlite_and_postgres("people", lambda label, url, workdir: run(label, url, rows, args, workdir),
                           postgres_url=args.postgres, no_postgres=args.no_postgres)

if __name__ == "__main__":
    main()
