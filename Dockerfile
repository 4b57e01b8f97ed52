FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# pango/harfbuzz for WeasyPrint (harfbuzz-subset keeps CJK PDFs fast and small), a CJK font so
# Chinese never renders as empty boxes, the 仿宋 face (FandolFang), poppler for PDF checks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      libharfbuzz-subset0 libfontconfig1 fontconfig fonts-noto-cjk fonts-babelstone-han poppler-utils \
      texlive-lang-chinese \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=collectstatic-only-not-a-secret-collectstatic-only-not-a-secret STATIC_MANIFEST=1 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --home /app skillcert \
 && mkdir -p /app/var && chown skillcert /app/var

USER skillcert
EXPOSE 8000
# gunicorn takes its worker count from WEB_CONCURRENCY, which the app's checks read too
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60", "--access-logfile", "-"]
