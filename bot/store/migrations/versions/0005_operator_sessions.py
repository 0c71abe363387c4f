"""operator sessions (console login)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 22:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operator_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_operator_sessions_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_sessions')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_operator_sessions_token_digest'))
    )
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_sessions_operator_id'), ['operator_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_sessions_operator_id'))
        batch_op.drop_index(batch_op.f('ix_operator_sessions_expires_at'))

    op.drop_table('operator_sessions')
