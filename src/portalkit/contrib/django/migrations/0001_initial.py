from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="PortalPermissions",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("send_portal_invitation", "Send customer portal invitations"),
                    ("manage_contacts", "Manage portal contacts and access"),
                    ("manage_billing", "Manage portal payments"),
                    ("manage_proposals", "Manage portal proposals and quote requests"),
                    ("manage_issues", "Answer portal issues"),
                    ("manage_settings", "Change the portal's settings and look"),
                    ("manage_staff", "Manage portal staff"),
                ],
            },
        ),
    ]
