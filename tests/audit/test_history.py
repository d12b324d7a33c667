"""The history manager that every audited save and audit read goes through."""

import pytest

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
