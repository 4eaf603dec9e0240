"""A synthetic population for measuring record linkage: people, their siblings, and the way
their names and birth dates get re-typed when they are presented again.

Realistic errors: a dropped or mistyped letter, two letters swapped, diacritics left out,
the name parts in the other order, day and month transposed, a digit of the year mistyped,
a family name changed at marriage (Canadian women; Vietnamese women keep theirs). Rates: 10%
of name parts mistyped, 10% middle names left out, 15% parts reversed, 50% without
diacritics, 12% day/month transposed (when both could be months), 4% a mistyped last digit
of the year, 8% family-name change. Siblings share the family name, often the middle name,
and the address; twins (3% of siblings) share the birth date too. Nobody here is real.
"""

from __future__ import annotations

import contextlib
import random
import string
from dataclasses import dataclass, replace
from datetime import date, timedelta

VN_FAMILY = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
             ("Phan", 4), ("Vũ", 3), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1), ("Hồ", 1),
             ("Ngô", 1), ("Dương", 1), ("Lý", 1)]
VN_MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Mỹ", "Hồng"]
VN_MIDDLE_M = ["Văn", "Văn", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Công", "Xuân", "Tuấn"]
VN_GIVEN_F = ["Lan", "Hương", "Mai", "Linh", "Anh", "Hà", "Thảo", "Trang", "Hằng", "Nga",
              "Phương", "Hoa", "Yến", "Nhung", "Vân", "Thủy", "Ngân", "Hạnh", "Loan", "Trâm",
              "Vy", "Nhi", "Châu", "Diệp", "Quyên", "Tâm", "Uyên", "Xuân", "Huyền", "My"]
VN_GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Minh", "Nam", "Long", "Phúc", "Khoa", "Huy", "Sơn",
              "Thắng", "Quân", "Bảo", "Đạt", "Hải", "Hiếu", "Hoàng", "Kiên", "Lâm", "Lộc",
              "Nghĩa", "Phong", "Quang", "Tài", "Thành", "Tiến", "Toàn", "Trung", "Việt", "Vinh"]
CA_FAMILY = ["Smith", "Brown", "Tremblay", "Martin", "Roy", "Wilson", "MacDonald", "Gagnon",
             "Johnson", "Taylor", "Lee", "Campbell", "Anderson", "Leblanc", "Côté", "Bouchard",
             "Gauthier", "Morin", "Thompson", "White", "Singh", "Patel", "Wong", "Chen",
             "Lavoie", "Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger"]
CA_GIVEN_F = ["Olivia", "Emma", "Charlotte", "Amelia", "Sophia", "Chloé", "Léa", "Ava",
              "Maya", "Zoé", "Emily", "Sarah", "Jessica", "Ashley", "Megan", "Hannah",
              "Julie", "Nathalie", "Isabelle", "Mélanie"]
CA_GIVEN_M = ["Liam", "Noah", "William", "Lucas", "Benjamin", "Oliver", "Thomas", "Jacob",
              "Logan", "Nathan", "Ethan", "Samuel", "Justin", "Kevin", "Ryan", "Tyler",
              "Mathieu", "Alexandre", "Gabriel", "Félix"]


@dataclass(frozen=True)
class Person:
    pid: int
    family: str
    middle: str
    given: str
    born: date
    vietnamese: bool
    female: bool

    @property
    def name(self) -> str:
        if self.vietnamese:
            return " ".join(p for p in (self.family, self.middle, self.given) if p)
        return " ".join(p for p in (self.given, self.middle, self.family) if p)


class Population:
    def __init__(self, seed: int = 19) -> None:
        self.rng = random.Random(seed)
        self.next_id = 0
        self._vn_family = [f for f, w in VN_FAMILY for _ in range(w)]

    def _born(self) -> date:
        return date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 85))

    def person(self) -> Person:
        rng = self.rng
        self.next_id += 1
        female = rng.random() < 0.5
        if rng.random() < 0.6:
            given = VN_GIVEN_F if female else VN_GIVEN_M
            middle = rng.choice(given) if rng.random() < 0.4 else \
                rng.choice(VN_MIDDLE_F if female else VN_MIDDLE_M)
            return Person(self.next_id, rng.choice(self._vn_family), middle,
                          rng.choice(VN_GIVEN_F if female else VN_GIVEN_M), self._born(),
                          True, female)
        middle = rng.choice(CA_GIVEN_F if female else CA_GIVEN_M) if rng.random() < 0.3 else ""
        return Person(self.next_id, rng.choice(CA_FAMILY), middle,
                      rng.choice(CA_GIVEN_F if female else CA_GIVEN_M), self._born(), False,
                      female)

    def sibling(self, of: Person, *, twin: bool = False) -> Person:
        """Same family name (and often middle name) and address, another given name; a twin
        shares the birth date too."""
        rng = self.rng
        self.next_id += 1
        female = rng.random() < 0.5
        pool = (VN_GIVEN_F if female else VN_GIVEN_M) if of.vietnamese else \
            (CA_GIVEN_F if female else CA_GIVEN_M)
        given = rng.choice([g for g in pool if g != of.given])
        if of.vietnamese:
            middle = of.middle if rng.random() < 0.5 and female == of.female else \
                rng.choice(VN_MIDDLE_F if female else VN_MIDDLE_M)
        else:
            middle = ""
        born = of.born if twin else of.born + timedelta(days=rng.choice([-1, 1]) *
                                                       rng.randint(300, 365 * 8))
        return Person(self.next_id, of.family, middle, given, born, of.vietnamese, female)

    # -- re-typing --------------------------------------------------------------------------
    def _typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word
        i = rng.randrange(1, len(word))
        kind = rng.choice(["drop", "swap", "replace", "insert"])
        if kind == "drop":
            return word[:i] + word[i + 1:]
        if kind == "swap" and i < len(word) - 1:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if kind == "insert":
            return word[:i] + rng.choice(string.ascii_lowercase) + word[i:]
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1:]

    def retyped(self, p: Person) -> tuple[str, date]:
        """How another agency types the same person months later."""
        rng = self.rng
        q = p
        if p.female and not p.vietnamese and rng.random() < 0.08:  # a name taken at marriage
            q = replace(q, family=rng.choice([f for f in CA_FAMILY if f != p.family]))
        parts = [q.family, q.middle, q.given]
        for idx in range(3):
            if parts[idx] and rng.random() < 0.1:
                parts[idx] = self._typo(parts[idx])
        family, middle, given = parts
        if rng.random() < 0.1:
            middle = ""
        order = [family, middle, given] if p.vietnamese else [given, middle, family]
        if rng.random() < 0.15:
            order = order[::-1]
        name = " ".join(x for x in order if x)
        if rng.random() < 0.5:
            from workflow.linkage.normalize import fold
            name = fold(name).title()
        if rng.random() < 0.1:
            name = name.upper()
        born = p.born
        if born.day <= 12 and rng.random() < 0.12:
            born = date(born.year, born.day, born.month)
        elif rng.random() < 0.04:
            digit = rng.randint(0, 9)
            year = born.year - born.year % 10 + digit
            with contextlib.suppress(ValueError):
                born = born.replace(year=year)
        return name, born
