"""flask-broadcasts: initial schema.

Revision ID: broadcasts_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0001"
down_revision = None
branch_labels = ("broadcasts",)
depends_on = None


def upgrade() -> None:
    """Create the extension's tables and indexes."""
    op.create_table(
        "broadcast_audiences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("audience_type", sa.String(length=32), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("is_template", sa.Boolean(), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_audiences")),
    )
    op.create_index(
        op.f("ix_broadcast_audiences_organization_id"), "broadcast_audiences", ["organization_id"], unique=False
    )
    op.create_table(
        "broadcast_file_blobs",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_broadcast_file_blobs")),
    )
    op.create_table(
        "broadcast_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("body_short", sa.Text(), nullable=True),
        sa.Column("action_label", sa.String(length=200), nullable=True),
        sa.Column("action_url", sa.String(length=2000), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("is_template", sa.Boolean(), nullable=False),
        sa.Column("binding_type", sa.String(length=32), nullable=False),
        sa.Column("subject_i18n", sa.JSON(), nullable=False),
        sa.Column("body_i18n", sa.JSON(), nullable=False),
        sa.Column("body_short_i18n", sa.JSON(), nullable=False),
        sa.Column("action_label_i18n", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_templates")),
    )
    op.create_index(
        op.f("ix_broadcast_templates_organization_id"), "broadcast_templates", ["organization_id"], unique=False
    )
    op.create_table(
        "broadcast_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_key", sa.String(length=40), nullable=True),
        sa.Column("runs_count", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["broadcast_audiences.id"],
            name=op.f("fk_broadcast_campaigns_audience_id_broadcast_audiences"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["broadcast_templates.id"],
            name=op.f("fk_broadcast_campaigns_template_id_broadcast_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_campaigns")),
    )
    op.create_index(op.f("ix_broadcast_campaigns_audience_id"), "broadcast_campaigns", ["audience_id"], unique=False)
    op.create_index(op.f("ix_broadcast_campaigns_next_run_at"), "broadcast_campaigns", ["next_run_at"], unique=False)
    op.create_index(
        op.f("ix_broadcast_campaigns_organization_id"), "broadcast_campaigns", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_broadcast_campaigns_status"), "broadcast_campaigns", ["status"], unique=False)
    op.create_index(op.f("ix_broadcast_campaigns_template_id"), "broadcast_campaigns", ["template_id"], unique=False)
    op.create_table(
        "broadcast_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["broadcast_templates.id"],
            name=op.f("fk_broadcast_files_template_id_broadcast_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_files")),
    )
    op.create_index(op.f("ix_broadcast_files_organization_id"), "broadcast_files", ["organization_id"], unique=False)
    op.create_index(op.f("ix_broadcast_files_template_id"), "broadcast_files", ["template_id"], unique=False)
    op.create_table(
        "broadcast_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=40), nullable=False),
        sa.Column("recipient_type", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("body_short", sa.Text(), nullable=True),
        sa.Column("action_label", sa.Text(), nullable=True),
        sa.Column("action_url", sa.Text(), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("mobile", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("mail_status", sa.String(length=16), nullable=True),
        sa.Column("sms_status", sa.String(length=16), nullable=True),
        sa.Column("sms_encoding", sa.String(length=8), nullable=True),
        sa.Column("sms_segments", sa.Integer(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["broadcast_campaigns.id"],
            name=op.f("fk_broadcast_messages_campaign_id_broadcast_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_messages")),
        sa.UniqueConstraint(
            "campaign_id",
            "run_key",
            "recipient_type",
            "recipient_id",
            name=op.f("uq_broadcast_messages_campaign_id_run_key_recipient_type_recipient_id"),
        ),
    )
    op.create_index("ix_broadcast_messages_claim", "broadcast_messages", ["campaign_id", "status", "id"], unique=False)
    op.create_index(
        "ix_broadcast_messages_listing", "broadcast_messages", ["campaign_id", "created_at", "id"], unique=False
    )
    # Partial: only the rows where the column is set (see the model for why).
    op.create_index(
        "ix_broadcast_messages_claim_expires_at",
        "broadcast_messages",
        ["claim_expires_at"],
        unique=False,
        postgresql_where=sa.text("claim_expires_at IS NOT NULL"),
        sqlite_where=sa.text("claim_expires_at IS NOT NULL"),
    )
    op.create_index(
        "ix_broadcast_messages_provider_message_id",
        "broadcast_messages",
        ["provider_message_id"],
        unique=False,
        postgresql_where=sa.text("provider_message_id IS NOT NULL"),
        sqlite_where=sa.text("provider_message_id IS NOT NULL"),
    )
    op.create_table(
        "broadcast_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=40), nullable=False),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("materialized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["broadcast_campaigns.id"],
            name=op.f("fk_broadcast_runs_campaign_id_broadcast_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_runs")),
        sa.UniqueConstraint("campaign_id", "run_key", name=op.f("uq_broadcast_runs_campaign_id_run_key")),
    )
    op.create_index(op.f("ix_broadcast_runs_campaign_id"), "broadcast_runs", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_broadcast_runs_organization_id"), "broadcast_runs", ["organization_id"], unique=False)
    op.create_table(
        "broadcast_sent_emails",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id_header", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["broadcast_messages.id"],
            name=op.f("fk_broadcast_sent_emails_message_id_broadcast_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_sent_emails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_broadcast_sent_emails_message_id")),
    )


def downgrade() -> None:
    """Drop the extension's tables and indexes."""
    op.drop_table("broadcast_sent_emails")
    op.drop_index(op.f("ix_broadcast_runs_organization_id"), table_name="broadcast_runs")
    op.drop_index(op.f("ix_broadcast_runs_campaign_id"), table_name="broadcast_runs")
    op.drop_table("broadcast_runs")
    op.drop_index("ix_broadcast_messages_provider_message_id", table_name="broadcast_messages")
    op.drop_index("ix_broadcast_messages_claim_expires_at", table_name="broadcast_messages")
    op.drop_index("ix_broadcast_messages_listing", table_name="broadcast_messages")
    op.drop_index("ix_broadcast_messages_claim", table_name="broadcast_messages")
    op.drop_table("broadcast_messages")
    op.drop_index(op.f("ix_broadcast_files_template_id"), table_name="broadcast_files")
    op.drop_index(op.f("ix_broadcast_files_organization_id"), table_name="broadcast_files")
    op.drop_table("broadcast_files")
    op.drop_index(op.f("ix_broadcast_campaigns_template_id"), table_name="broadcast_campaigns")
    op.drop_index(op.f("ix_broadcast_campaigns_status"), table_name="broadcast_campaigns")
    op.drop_index(op.f("ix_broadcast_campaigns_organization_id"), table_name="broadcast_campaigns")
    op.drop_index(op.f("ix_broadcast_campaigns_next_run_at"), table_name="broadcast_campaigns")
    op.drop_index(op.f("ix_broadcast_campaigns_audience_id"), table_name="broadcast_campaigns")
    op.drop_table("broadcast_campaigns")
    op.drop_index(op.f("ix_broadcast_templates_organization_id"), table_name="broadcast_templates")
    op.drop_table("broadcast_templates")
    op.drop_table("broadcast_file_blobs")
    op.drop_index(op.f("ix_broadcast_audiences_organization_id"), table_name="broadcast_audiences")
    op.drop_table("broadcast_audiences")
