# An order e-mail's row becomes a claim with a sent state: claimed_at and claimed_by say who is sending it and since
# when, sent_at is NULL until it was sent, so a claim whose sender died can be taken over. Every existing row was
# written by the old at-most-once code before its e-mail was sent and kept only if sending did not fail: it stays
# sent (its sent_at kept), claimed when it was sent.

import django.db.models.functions.datetime
from django.db import migrations, models
from django.db.models import F


def existing_rows_claimed_when_sent(apps, schema_editor):
    OrderNotification = apps.get_model("orders", "OrderNotification")
    OrderNotification.objects.update(claimed_at=F("sent_at"))


def unsent_rows_count_as_sent(apps, schema_editor):
    # Back to a row that only means "claimed": the old code skips it, as it skipped any claim.
    OrderNotification = apps.get_model("orders", "OrderNotification")
    OrderNotification.objects.filter(sent_at__isnull=True).update(sent_at=F("claimed_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0009_money_three_decimals'),
    ]

    operations = [
        migrations.AddField(
            model_name='ordernotification',
            name='claimed_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='ordernotification',
            name='claimed_by',
            field=models.CharField(default='', max_length=255),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='ordernotification',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(existing_rows_claimed_when_sent, unsent_rows_count_as_sent),
        migrations.AlterField(
            model_name='ordernotification',
            name='claimed_at',
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now()),
        ),
        migrations.AddIndex(
            model_name='ordernotification',
            index=models.Index(condition=models.Q(('sent_at__isnull', True)), fields=['claimed_at'],
                               name='orders_notification_unsent'),
        ),
    ]
