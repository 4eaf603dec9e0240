"""'My agency': what we presented, where we lead or assist, our open tasks and due dates."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webui.unit import reading
from workflow import agency_queries

bp = Blueprint("agency", __name__, url_prefix="/agency")


@bp.route("")
@login_required
def home() -> ResponseReturnValue:
    with reading() as (s, actor):
        view = agency_queries.my_agency(s, actor)
        tables = agency_queries.agency_tables(s, actor)
        return render_template("agency/home.html", v=view, tables=tables,
                               now=datetime.now().astimezone())
