"""Every text of a notification, in English and Simplified Chinese.

Who reads them: the team, in its chat or mailbox (a channel is a team audience:
names, deadlines and what to do next are said plainly). A channel declared
``audience: client`` gets the rules' client voice for alerts and digests, and
no reminders (they are instructions to the team). Values from the tracker
(titles, names) are escaped by ``sync.render.fill``; subjects hold none.
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "subject.alert": "[{project}] {severity}: {rule}",
        "subject.alerts": "[{project}] {count} new alerts",
        "subject.reminder": "[{project}] reminder: {rule}",
        "subject.digest.daily": "[{project}] daily digest, {period}",
        "subject.digest.weekly": "[{project}] weekly digest, {period}",
        "subject.test": "forewarn: test message",
        "subject.summary": "[{project}] expectation summary, {period}",
        "alert.new": "New alert in {project}:",
        "alerts.new": "{count} new alerts in {project}:",
        "reminder.reply": (
            "{client} is waiting for a reply on “{title}”. The reply is due by {deadline}, "
            "{left_hours} business hours from now: answer the client before then. "
            "Assignees: {assignees}."
        ),
        "reminder.milestone": (
            "Milestone “{milestone_title}” is due on {due_on}, {days_left} working day(s) from "
            "now, and the forecast says it will slip: a {probability:.0%} chance to finish on "
            "time. Agree on scope or a new date with the client now."
        ),
        "digest.breached": "Breached ({count})",
        "digest.today": "Breaches today ({count})",
        "digest.at_risk": "At risk ({count})",
        "digest.resolved": "Resolved since the last digest ({count})",
        "digest.clear": "Nothing is breached or at risk.",
        "digest.more": "… and {count} more",
        "digest.waiting": "“{title}”: {client} is waiting for a reply, due by {deadline}",
        "acked": "(acknowledged)",
        "open": "Open {key}",
        "footer": "forewarn · {project}",
        "test": (
            "This is a test message from forewarn to the channel {channel}. Alerts, reminders "
            "and digests of the projects that name it will arrive here."
        ),
    },
    "zh-CN": {
        "subject.alert": "[{project}] {severity}：{rule}",
        "subject.alerts": "[{project}] {count} 条新提醒",
        "subject.reminder": "[{project}] 提醒：{rule}",
        "subject.digest.daily": "[{project}] 每日摘要，{period}",
        "subject.digest.weekly": "[{project}] 每周摘要，{period}",
        "subject.test": "forewarn：测试消息",
        "subject.summary": "[{project}] 期望管理摘要，{period}",
        "alert.new": "{project} 有新的提醒：",
        "alerts.new": "{project} 有 {count} 条新的提醒：",
        "reminder.reply": (
            "{client} 仍在等待对“{title}”的答复。应于 {deadline} 前答复，距今还有 {left_hours} "
            "个工作小时：请在此之前答复客户。负责人：{assignees}。"
        ),
        "reminder.milestone": (
            "里程碑“{milestone_title}”将于 {due_on} 到期（还有 {days_left} 个工作日），预测显示"
            "将会延期：按期完成的概率为 {probability:.0%}。请现在就与客户商定范围或新的日期。"
        ),
        "digest.breached": "已超出承诺（{count}）",
        "digest.today": "今天到期（{count}）",
        "digest.at_risk": "存在风险（{count}）",
        "digest.resolved": "自上次摘要以来已解决（{count}）",
        "digest.clear": "目前没有超出承诺或存在风险的事项。",
        "digest.more": "……另有 {count} 项",
        "digest.waiting": "“{title}”：{client} 正在等待答复，应于 {deadline} 前答复",
        "acked": "（已确认）",
        "open": "打开 {key}",
        "footer": "forewarn · {project}",
        "test": (
            "这是 forewarn 发往通道 {channel} 的测试消息。指定此通道的项目的提醒、预警和摘要"
            "将发送到这里。"
        ),
    },
}
LANGUAGES = tuple(TEXT)


def text(language: str, key: str) -> str:
    """The text ``key`` in ``language``, English where that language lacks it."""
    return TEXT.get(language, TEXT["en"]).get(key) or TEXT["en"][key]
