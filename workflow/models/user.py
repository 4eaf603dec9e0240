"""People who sign in, their role and scope, and agencies' API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow
from workflow.models.directory import Agency

ROLES = ("agency_rep", "chair", "manager", "admin")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Separation of duties: who (in the agency, or a chair of its table) let this user read
    # identity; None until then, and again after an administrator moves the user.
    identity_confirmed_at: Mapped[datetime | None] = mapped_column()
    identity_confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    privacy_contact: Mapped[bool] = mapped_column(default=False)
    # Raised to end every signed-in copy of this user's session (sign-out, password change).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    agency: Mapped[Agency | None] = relationship()
    scopes: Mapped[list[UserTableScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("role IN ('agency_rep','chair','manager','admin')", name="role_known"),
        CheckConstraint("role = 'admin' OR agency_id IS NOT NULL", name="agency_required"),
    )


class UserTableScope(Base):
    """Tables a chair coordinates or a manager reports on (agency reps follow their agency)."""

    __tablename__ = "user_table_scopes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship(back_populates="scopes")

    __table_args__ = (UniqueConstraint("user_id", "table_id", name="uq_user_table"),)


class ApiToken(Base):
    """An agency's token for its own systems; only a hash is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # None: no expiry (tokens issued before migration 0018); `hubtable tokens issue` sets one.
    expires_at: Mapped[datetime | None] = mapped_column()
    # At most once a minute (workflow.api_tokens): a busy client does not write on every call.
    last_used_at: Mapped[datetime | None] = mapped_column()

    agency: Mapped[Agency] = relationship()
