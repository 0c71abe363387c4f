"""booking notices: members and booking timers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 22:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('fail_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('alternatives', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('password_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_members_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('phone', name=op.f('uq_members_phone'))
    )

    # A timer names a work order or a booking, never both, never neither.
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Text(), nullable=True))
        batch_op.alter_column('order_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_scheduled_jobs_booking_id'), ['booking_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_scheduled_jobs_booking_id_bookings'), 'bookings', ['booking_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_scheduled_jobs_one_subject'), '(order_id IS NULL) <> (booking_id IS NULL)'
        )


def downgrade() -> None:
    # Booking timers cannot exist without a booking column: drop them before the column.
    op.execute("DELETE FROM scheduled_jobs WHERE order_id IS NULL")
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_scheduled_jobs_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_scheduled_jobs_booking_id_bookings'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_scheduled_jobs_booking_id'))
        batch_op.alter_column('order_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('outcome')
        batch_op.drop_column('booking_id')

    op.drop_table('members')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('alternatives')
        batch_op.drop_column('fail_reason')
        batch_op.drop_column('unit_price')
