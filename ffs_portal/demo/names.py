"""Names for the demo data, the tests and the benchmarks: the commonest family names first,
children's given names, the given names of the grandparents who collect them, and the
provinces migrant workers come from (the portal's DOMAIN notes)."""

FAMILY_NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN_NAMES = [
    *("小明", "欣怡", "子涵", "浩然", "梓萱", "宇轩", "诗琪", "俊杰", "雨桐", "明轩"),
    *("佳怡", "博文", "思远", "可馨", "家豪", "一诺", "梦瑶", "天佑", "晓峰", "安琪"),
]
# Characters outside the Basic Multilingual Plane or in its rare extension, which databases
# and exports must keep intact.
RARE_GIVEN_NAMES = ["𠮷", "䶮"]
ADULT_GIVEN_NAMES = ["秀英", "桂兰", "建国", "玉兰", "德明", "淑珍", "志强", "凤英"]
HOME_PROVINCES = ["sichuan", "guizhou", "henan", "hunan", "jiangxi", "anhui", "guangxi", "hubei"]
