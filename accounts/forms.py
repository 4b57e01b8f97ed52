from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from accounts.roles import Role
from accounts.services import ORGANIZATION_EDITABLE_FIELDS


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("账号或密码不正确，请重新输入。"),
        "inactive": _("该账号已停用，请联系机构管理员。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("账号")
        self.fields["password"].label = _("密码")


class MemberAddForm(forms.Form):
    username = forms.CharField(
        label=_("登录账号"),
        max_length=150,
        help_text=_("新同事：填写新账号名、姓名和初始密码。已有账号的同事：只填账号和角色，对方接受邀请后加入。"),
    )
    full_name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    password = forms.CharField(
        label=_("初始密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("仅新账号需要；首次登录时须修改"),
    )


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = list(ORGANIZATION_EDITABLE_FIELDS)

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()

    def _post_clean(self):
        # Validation and uniqueness are the service's job; the form only parses.
        pass


class OrganizationCreateForm(OrganizationForm):
    admin_username = forms.CharField(label=_("机构管理员账号"), max_length=150, required=False)
    admin_full_name = forms.CharField(label=_("机构管理员姓名"), max_length=60, required=False)
    admin_password = forms.CharField(
        label=_("机构管理员初始密码"), required=False, widget=forms.PasswordInput(render_value=False)
    )


class OrganizationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=Organization.Status.choices)
    reason = forms.CharField(label=_("原因"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput)
    new_password1 = forms.CharField(
        label=_("新密码"), widget=forms.PasswordInput, help_text=_("至少 8 位，不能全是数字，不能与账号相近")
    )
    new_password2 = forms.CharField(label=_("再次输入新密码"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text=_("手机验证器上的 6 位数字；手机不在身边时，可输入一个恢复码（每个只能用一次）"),
    )


class TwoFactorEnableForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("扫描二维码后，输入验证器显示的 6 位数字"),
    )


class UsernameForm(forms.Form):
    username = forms.CharField(label=_("登录账号"), max_length=150)


class AddressForm(forms.Form):
    ip_address = forms.GenericIPAddressField(label=_("IP 地址"))
