-- Tributary: the one-time Snowflake setup for one account (docs/deploy.md, step 3).
--
-- Run with SnowSQL as ACCOUNTADMIN, after the first `npx cdk deploy` (it needs two stack outputs):
--
--   snowsql -a <account> -u <admin user> -r ACCOUNTADMIN -o variable_substitution=true \
--     -D lake_bucket=<LakeBucketName output> \
--     -D storage_role_arn=<SnowflakeStorageRoleArn output> \
--     -D external_id=<the SnowflakeExternalId parameter you deployed with> \
--     -D public_key="$(grep -v -- ----- rsa_key.pub | tr -d '\n')" \
--     -f infra/snowflake/setup.sql
--
-- Names below are the defaults the stack's SNOWFLAKE_* settings expect; change them in both places.
-- Every statement is idempotent, so the script can be run again.

-- Compute for the dynamic tables (deduped, entity) and the API's reads. Snowpipe itself is serverless.
CREATE WAREHOUSE IF NOT EXISTS TRIBUTARY_WH
  WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;

-- One database; the service creates one schema per tenant inside it.
CREATE DATABASE IF NOT EXISTS TRIBUTARY;

-- The role the service connects as. It creates (and so owns) every tenant schema, table, pipe,
-- dynamic table and masking policy. USAGE WITH GRANT OPTION lets it grant USAGE on the database to
-- each tenant's reader role.
CREATE ROLE IF NOT EXISTS TRIBUTARY_SERVICE;
GRANT USAGE ON DATABASE TRIBUTARY TO ROLE TRIBUTARY_SERVICE WITH GRANT OPTION;
GRANT CREATE SCHEMA ON DATABASE TRIBUTARY TO ROLE TRIBUTARY_SERVICE;
GRANT USAGE, OPERATE ON WAREHOUSE TRIBUTARY_WH TO ROLE TRIBUTARY_SERVICE;

-- A key-pair service user: no password, the private key lives in Secrets Manager (SnowflakeKeySecretArn).
CREATE USER IF NOT EXISTS TRIBUTARY_SVC
  TYPE = SERVICE
  DEFAULT_ROLE = TRIBUTARY_SERVICE
  DEFAULT_WAREHOUSE = TRIBUTARY_WH;
ALTER USER TRIBUTARY_SVC SET RSA_PUBLIC_KEY = '&{public_key}';
GRANT ROLE TRIBUTARY_SERVICE TO USER TRIBUTARY_SVC;

-- The storage integration Snowpipe reads the lake through. It assumes the stack's
-- SnowflakeStorageRole; STORAGE_AWS_EXTERNAL_ID is fixed here so that the role's trust policy,
-- deployed before this integration existed, already names it. STORAGE_ALLOWED_LOCATIONS must
-- contain the stage URL, which is the bucket root.
CREATE STORAGE INTEGRATION IF NOT EXISTS TRIBUTARY_LAKE
  TYPE = EXTERNAL_STAGE
  STORAGE_PROVIDER = 'S3'
  ENABLED = TRUE
  STORAGE_AWS_ROLE_ARN = '&{storage_role_arn}'
  STORAGE_AWS_EXTERNAL_ID = '&{external_id}'
  STORAGE_ALLOWED_LOCATIONS = ('s3://&{lake_bucket}/');
GRANT USAGE ON INTEGRATION TRIBUTARY_LAKE TO ROLE TRIBUTARY_SERVICE;

-- Dynamic tables refresh as their owner (the service role) and must read PII in clear, so every
-- tenant's PII role is granted to the service role (docs/deploy.md, "A new tenant").
-- Hand STORAGE_AWS_IAM_USER_ARN to the stack as SnowflakeIamUserArn (step 4).
DESC INTEGRATION TRIBUTARY_LAKE;
