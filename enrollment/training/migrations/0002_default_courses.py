from django.db import migrations

# The catalogue the program starts from; coordinators edit it in the portal.
COURSES = [
    ("远程亲子教育", "在外打工时如何关心和教育留在老家的孩子。"),
    ("电话和视频里的亲子沟通", "怎样通过电话、视频和孩子聊天，让孩子愿意说心里话。"),
    ("儿童安全与保护", "防溺水、交通和居家安全，识别和预防伤害、忽视与拐卖。"),
    ("儿童情绪健康", "留守和流动儿童常见的情绪问题，家长可以做什么。"),
    ("上学与户籍问题", "随迁子女在城市入学的条件、材料和户籍相关问题。"),
]


def add_courses(apps, schema_editor):
    Course = apps.get_model("training", "Course")
    for name, description in COURSES:
        Course.objects.get_or_create(name=name, defaults={"description": description})


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(add_courses, migrations.RunPython.noop)]
