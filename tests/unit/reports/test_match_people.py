"""Counting who met whom in a month's matches, worked out by hand."""

from __future__ import annotations

from bhc.reports.match_people import MonthMatches

# (neighbourhood, asker, helper): 1 and 2 meet twice in neighbourhood 10 (once each way),
# 3 helps 1 there; an unregistered caller (None) is helped by 2; in neighbourhood 20, 4 asks
# 5 twice and 5 asks 2 once.
MATCHES = [(10, 1, 2), (10, 2, 1), (10, 1, 3), (10, None, 2), (20, 4, 5), (20, 4, 5),
           (20, 5, 2)]


def month(rows=MATCHES) -> MonthMatches:
    return MonthMatches.of(*zip(*rows)) if rows else MonthMatches.none()


def test_residents_count_each_person_once_per_neighbourhood_and_overall():
    assert month().residents_per_neighbourhood() == {10: 3, 20: 3}  # {1,2,3} and {4,5,2}
    assert month().residents() == 5  # 2 is in contact in both
    assert month().residents([20]) == 3


def test_repeat_contacts_are_the_same_asker_and_helper_again():
    # 4 asked 5 twice; 1 and 2 met twice, but each asked once: not a repeat of one request.
    assert month().repeat_contacts_per_neighbourhood() == {20: 1}


def test_pairs_count_two_residents_whoever_asked():
    per_neighbourhood, overall = month().pairs()
    assert per_neighbourhood == {10: 2, 20: 2}  # {1,2} {1,3}; {4,5} {5,2}
    assert overall == 4


def test_both_roles_means_asking_in_one_match_and_helping_in_another():
    per_neighbourhood, overall = month().both_roles()
    assert per_neighbourhood == {10: 2, 20: 1}  # 1 and 2 in 10; 5 in 20
    assert overall == 3  # 1, 2 and 5 (2 asked in 10 and helped in both)


def test_a_month_without_matches_counts_nothing():
    empty = month([])
    assert empty.residents_per_neighbourhood() == {} and empty.residents() == 0
    assert empty.repeat_contacts_per_neighbourhood() == {}
    assert empty.pairs() == ({}, 0) and empty.both_roles() == ({}, 0)
