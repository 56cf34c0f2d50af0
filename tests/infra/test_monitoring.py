"""The dashboard shows what docs/infrastructure.md lists, and every alarm reaches someone."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.mock_cloud import Snapshot


def dashboard_metrics(stack: Snapshot) -> list[Any]:
    body = json.loads(stack.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    return [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]


def test_dashboard_shows_the_promised_signals(stack: Snapshot) -> None:
    text = json.dumps(dashboard_metrics(stack))
    for signal in (
        '"AWS/ECS", "CPUUtilization"',
        '"AWS/ECS", "MemoryUtilization"',
        '"AWS/RDS", "DatabaseConnections"',
        "CacheHitRate",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        '"AWS/ApplicationELB", "TargetResponseTime"',
    ):
        assert signal in text, signal


def test_dashboard_watches_this_environments_resources(stack: Snapshot) -> None:
    text = json.dumps(dashboard_metrics(stack))
    assert f'"ClusterName", "cloudmetrics-{stack.environment}"' in text
    assert f'"DBInstanceIdentifier", "cloudmetrics-{stack.environment}"' in text
    balancer = stack.one("aws:lb/loadBalancer:LoadBalancer").state["arnSuffix"]
    assert balancer in text


def test_every_alarm_notifies_the_alarm_topic(stack: Snapshot) -> None:
    topic = stack.one("aws:sns/topic:Topic").state["arn"]
    alarms = stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) >= 6
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic], alarm.name
    subscription = stack.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription["topic"] == topic
    assert subscription["protocol"] == "email"


def test_alarms_cover_errors_latency_saturation_and_connections(stack: Snapshot) -> None:
    watched = {
        alarm.inputs["metricName"]
        for alarm in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert {
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "CPUUtilization",
        "MemoryUtilization",
        "DatabaseConnections",
        "UnHealthyHostCount",
    } <= watched


def test_connection_alarm_fires_before_the_limit(stack: Snapshot) -> None:
    (alarm,) = [
        a
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] == "DatabaseConnections"
    ]
    parameters = stack.one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    limit = int(next(p["value"] for p in parameters if p["name"] == "max_connections"))
    assert alarm.inputs["threshold"] < limit
