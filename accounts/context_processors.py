from accounts.permissions import bureau_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_bureau_roles": bureau_roles(user)}
