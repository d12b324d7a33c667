"""The history manager that every audited save and audit read goes through."""

import pytest

from audit.selectors import _previous_ids, entries
from jobs.models import Job

pytestmark = pytest.mark.django_db


def test_history_manager_class_is_built_once_and_still_scoped_to_its_object(django_user_model):
    first = django_user_model.objects.create(username="first")
    second = django_user_model.objects.create(username="second")
    first.first_name = "F"
    first.save()

    assert type(first.history) is type(second.history) is type(django_user_model.history)
    assert type(Job.history) is not type(django_user_model.history)
    assert [(h.id, h.history_type) for h in first.history.all()] == [(first.pk, "~"), (first.pk, "+")]
    assert [h.id for h in second.history.all()] == [second.pk]
    assert django_user_model.history.filter(id__in=[first.pk, second.pk]).count() == 3


def test_each_entry_is_paired_with_the_previous_record_of_its_own_object(django_user_model):
    first = django_user_model.objects.create(username="first")
    second = django_user_model.objects.create(username="second")
    for name in ("a", "b"):  # interleaved: the previous record of an object is not the next row
        first.first_name, second.first_name = f"first-{name}", f"second-{name}"
        first.save()
        second.save()
    records = django_user_model.history.filter(id__in=[first.pk, second.pk]).order_by("-history_id")

    paired = {
        e.record.history_id: e.previous.history_id if e.previous else None
        for e in entries(records[:3], django_user_model)  # one predecessor on the page, two not
    }

    by_object = {
        pk: list(django_user_model.history.filter(id=pk).order_by("history_id").values_list("history_id", flat=True))
        for pk in (first.pk, second.pk)
    }
    expected = {newer: older for ids in by_object.values() for older, newer in zip([None, *ids], ids, strict=False)}
    assert paired == {history_id: expected[history_id] for history_id in paired}
    assert len(paired) == 3 and None not in paired.values()
    (oldest,) = entries(records.order_by("history_id")[:1], django_user_model)
    assert oldest.previous is None and oldest.action == "created"


def test_an_empty_page_has_no_entries_and_asks_nothing(django_assert_num_queries, django_user_model):
    with django_assert_num_queries(0):
        assert entries(django_user_model.history.none(), django_user_model) == []
        assert _previous_ids(django_user_model.history.model, []) == {}
