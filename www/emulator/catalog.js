// The vendors the generator invents invoices from. Names are the real legal billing entities that
// appear on SaaS invoices, per country, because matching is tested against what AP clerks type in
// from real invoices. Prices are list prices per seat per month in USD (converted per company).
//
// Fields: key, app (canonical product), cat (category), names { US, GB, DE } (GB/DE fall back to
// EU, EU falls back to US), web, mail, kind ('seat' | 'usage'), cadence ('monthly' | 'annual'),
// plans [[description, usdPerSeatMonth]], usd (non-US companies are billed in USD), seats [min, max].

export const SAAS = [
  { key: 'slack', app: 'Slack', cat: 'Communication', names: { US: 'Slack Technologies, LLC', EU: 'Slack Technologies Limited' }, web: 'slack.com', mail: 'feedback@slack.com', kind: 'seat', cadence: 'monthly', plans: [['Slack Business+', 12.5]], seats: [30, 180], priceIncrease: 15 },
  { key: 'zoom', app: 'Zoom', cat: 'Video conferencing', names: { US: 'Zoom Video Communications, Inc.' }, web: 'zoom.us', mail: 'billing@zoom.us', kind: 'seat', cadence: 'annual', plans: [['Zoom Workplace Business', 18.32]], seats: [10, 60] },
  { key: 'webex', app: 'Webex', cat: 'Video conferencing', names: { US: 'Cisco Systems, Inc.', EU: 'Cisco International Limited' }, web: 'webex.com', mail: 'ar-invoices@cisco.com', kind: 'seat', cadence: 'monthly', plans: [['Webex Meet Business', 14.5]], seats: [5, 25] },
  { key: 'atlassian', app: 'Atlassian', cat: 'Engineering', names: { US: 'Atlassian Pty Ltd' }, web: 'atlassian.com', mail: 'sales@atlassian.com', kind: 'seat', cadence: 'monthly', plans: [['Jira Software (Cloud) Standard', 7.53], ['Confluence (Cloud) Standard', 5.16]], usd: true, seats: [25, 150] },
  { key: 'microsoft', app: 'Microsoft 365', cat: 'Productivity', names: { US: 'Microsoft Corporation', EU: 'Microsoft Ireland Operations Limited' }, web: 'microsoft.com', mail: 'msftinv@microsoft.com', kind: 'seat', cadence: 'monthly', plans: [['Microsoft 365 Business Premium', 22], ['Power BI Pro', 14], ['Microsoft Teams Premium', 10]], seats: [40, 220] },
  { key: 'azure', app: 'Microsoft Azure', cat: 'Cloud infrastructure', names: { US: 'Microsoft Corporation', EU: 'Microsoft Ireland Operations Limited' }, web: 'azure.microsoft.com', mail: 'azurebilling@microsoft.com', kind: 'usage', cadence: 'monthly', plans: [['Azure subscription usage', 2400], ['Azure Virtual Machines', 1800], ['Azure Blob Storage', 300]], sameVendorAs: 'microsoft' },
  { key: 'google', app: 'Google Workspace', cat: 'Productivity', names: { US: 'Google LLC', EU: 'Google Cloud EMEA Limited' }, web: 'google.com', mail: 'payments-noreply@google.com', kind: 'seat', cadence: 'monthly', plans: [['Google Workspace Business Standard', 14]], seats: [20, 120] },
  { key: 'gcp', app: 'Google Cloud', cat: 'Cloud infrastructure', names: { US: 'Google LLC', EU: 'Google Cloud EMEA Limited' }, web: 'cloud.google.com', mail: 'payments-noreply@google.com', kind: 'usage', cadence: 'monthly', plans: [['Google Cloud Platform – Compute Engine', 900], ['Google Cloud Platform – BigQuery', 450], ['Google Cloud Platform – Cloud Storage', 120]], sameVendorAs: 'google' },
  { key: 'aws', app: 'Amazon Web Services', cat: 'Cloud infrastructure', names: { US: 'Amazon Web Services, Inc.', EU: 'Amazon Web Services EMEA SARL' }, web: 'aws.amazon.com', mail: 'aws-receivables-support@email.amazon.com', kind: 'usage', cadence: 'monthly', plans: [['Amazon Elastic Compute Cloud', 4200], ['Amazon Simple Storage Service', 650], ['Amazon Relational Database Service', 1300], ['AWS Support (Business)', 420]] },
  { key: 'hubspot', app: 'HubSpot', cat: 'Marketing', names: { US: 'HubSpot, Inc.', EU: 'HubSpot Ireland Limited' }, web: 'hubspot.com', mail: 'billing@hubspot.com', kind: 'seat', cadence: 'annual', plans: [['HubSpot Marketing Hub Professional', 80], ['HubSpot Sales Hub Professional', 90]], seats: [5, 20] },
  { key: 'figma', app: 'Figma', cat: 'Design', names: { US: 'Figma, Inc.' }, web: 'figma.com', mail: 'billing@figma.com', kind: 'seat', cadence: 'annual', plans: [['Figma Organization – Full seat', 55]], usd: true, seats: [4, 30] },
  { key: 'datadog', app: 'Datadog', cat: 'Monitoring', names: { US: 'Datadog, Inc.' }, web: 'datadoghq.com', mail: 'ar@datadoghq.com', kind: 'usage', cadence: 'monthly', plans: [['Datadog Infrastructure Pro – hosts', 1500], ['Datadog Log Management – ingested GB', 400], ['Datadog APM – hosts', 930]], usd: true },
  { key: 'salesforce', app: 'Salesforce', cat: 'CRM', names: { US: 'Salesforce, Inc.', GB: 'Salesforce UK Limited', DE: 'Salesforce.com Germany GmbH' }, web: 'salesforce.com', mail: 'billing@salesforce.com', kind: 'seat', cadence: 'annual', plans: [['Sales Cloud Enterprise Edition', 165]], seats: [10, 60] },
  { key: 'adobe', app: 'Adobe Creative Cloud', cat: 'Design', names: { US: 'Adobe Inc.', EU: 'Adobe Systems Software Ireland Ltd' }, web: 'adobe.com', mail: 'ar@adobe.com', kind: 'seat', cadence: 'annual', plans: [['Creative Cloud All Apps for teams', 89.99], ['Acrobat Pro for teams', 23.99]], seats: [3, 25] },
  { key: 'dropbox', app: 'Dropbox', cat: 'File storage', names: { US: 'Dropbox, Inc.', EU: 'Dropbox International Unlimited Company' }, web: 'dropbox.com', mail: 'billing@dropbox.com', kind: 'seat', cadence: 'annual', plans: [['Dropbox Business Advanced', 24]], seats: [5, 40] },
  { key: 'box', app: 'Box', cat: 'File storage', names: { US: 'Box, Inc.', EU: 'Box.com (UK) Ltd' }, web: 'box.com', mail: 'ar@box.com', kind: 'seat', cadence: 'annual', plans: [['Box Business Plus', 25]], seats: [10, 50] },
  { key: 'notion', app: 'Notion', cat: 'Productivity', names: { US: 'Notion Labs, Inc.' }, web: 'notion.so', mail: 'team@makenotion.com', kind: 'seat', cadence: 'monthly', plans: [['Notion Business plan', 15]], usd: true, seats: [10, 80] },
  { key: 'asana', app: 'Asana', cat: 'Project management', names: { US: 'Asana, Inc.' }, web: 'asana.com', mail: 'billing@asana.com', kind: 'seat', cadence: 'annual', plans: [['Asana Business', 24.99]], seats: [10, 60] },
  { key: 'monday', app: 'monday.com', cat: 'Project management', names: { US: 'monday.com Ltd.' }, web: 'monday.com', mail: 'billing@monday.com', kind: 'seat', cadence: 'monthly', plans: [['monday work management Pro', 19]], seats: [10, 40] },
  { key: 'github', app: 'GitHub', cat: 'Engineering', names: { US: 'GitHub, Inc.' }, web: 'github.com', mail: 'billing@github.com', kind: 'seat', cadence: 'monthly', plans: [['GitHub Enterprise Cloud', 21], ['GitHub Copilot Business', 19]], usd: true, seats: [15, 90] },
  { key: 'gitlab', app: 'GitLab', cat: 'Engineering', names: { US: 'GitLab Inc.' }, web: 'gitlab.com', mail: 'ar@gitlab.com', kind: 'seat', cadence: 'annual', plans: [['GitLab Premium (SaaS)', 29]], usd: true, seats: [5, 20] },
  { key: 'zendesk', app: 'Zendesk', cat: 'Customer support', names: { US: 'Zendesk, Inc.', EU: 'Zendesk International Ltd.' }, web: 'zendesk.com', mail: 'billing@zendesk.com', kind: 'seat', cadence: 'monthly', plans: [['Zendesk Suite Professional', 115]], seats: [5, 30] },
  { key: 'intercom', app: 'Intercom', cat: 'Customer support', names: { US: 'Intercom, Inc.', EU: 'Intercom R&D Unlimited Company' }, web: 'intercom.com', mail: 'billing@intercom.io', kind: 'seat', cadence: 'monthly', plans: [['Intercom Advanced – seats', 85]], usd: true, seats: [3, 12] },
  { key: 'docusign', app: 'DocuSign', cat: 'Legal', names: { US: 'DocuSign, Inc.', EU: 'DocuSign International (EMEA) Limited' }, web: 'docusign.com', mail: 'billing@docusign.com', kind: 'seat', cadence: 'annual', plans: [['DocuSign eSignature Business Pro', 40]], seats: [3, 15] },
  { key: 'okta', app: 'Okta', cat: 'Security', names: { US: 'Okta, Inc.', EU: 'Okta UK Limited' }, web: 'okta.com', mail: 'ar@okta.com', kind: 'seat', cadence: 'annual', plans: [['Okta Workforce Identity – SSO', 2], ['Okta Workforce Identity – Adaptive MFA', 6]], seats: [60, 250] },
  { key: '1password', app: '1Password', cat: 'Security', names: { US: '1Password (AgileBits Inc.)' }, web: '1password.com', mail: 'billing@1password.com', kind: 'seat', cadence: 'annual', plans: [['1Password Business', 7.99]], usd: true, seats: [30, 200] },
  { key: 'miro', app: 'Miro', cat: 'Collaboration', names: { US: 'RealtimeBoard, Inc. dba Miro' }, web: 'miro.com', mail: 'billing@miro.com', kind: 'seat', cadence: 'monthly', plans: [['Miro Business', 16]], usd: true, seats: [5, 40] },
  { key: 'canva', app: 'Canva', cat: 'Design', names: { US: 'Canva Pty Ltd' }, web: 'canva.com', mail: 'accounts@canva.com', kind: 'seat', cadence: 'annual', plans: [['Canva Teams', 10]], usd: true, seats: [5, 25] },
  { key: 'loom', app: 'Loom', cat: 'Communication', names: { US: 'Loom, Inc.' }, web: 'loom.com', mail: 'billing@loom.com', kind: 'seat', cadence: 'monthly', plans: [['Loom Business', 15]], usd: true, seats: [5, 30] },
  { key: 'calendly', app: 'Calendly', cat: 'Scheduling', names: { US: 'Calendly LLC' }, web: 'calendly.com', mail: 'support@calendly.com', kind: 'seat', cadence: 'annual', plans: [['Calendly Teams', 16]], usd: true, seats: [5, 20] },
  { key: 'mailchimp', app: 'Mailchimp', cat: 'Marketing', names: { US: 'The Rocket Science Group LLC d/b/a Mailchimp' }, web: 'mailchimp.com', mail: 'billing@mailchimp.com', kind: 'usage', cadence: 'monthly', plans: [['Mailchimp Standard – 25,000 contacts', 270]], usd: true },
  { key: 'twilio', app: 'Twilio', cat: 'Communication', names: { US: 'Twilio Inc.', EU: 'Twilio Ireland Limited' }, web: 'twilio.com', mail: 'billing@twilio.com', kind: 'usage', cadence: 'monthly', plans: [['Twilio Programmable SMS', 0.0079], ['Twilio Voice – minutes', 0.014]], micro: true },
  { key: 'airtable', app: 'Airtable', cat: 'Productivity', names: { US: 'Formagrid Inc (Airtable)' }, web: 'airtable.com', mail: 'billing@airtable.com', kind: 'seat', cadence: 'annual', plans: [['Airtable Team', 20]], usd: true, seats: [5, 25] },
  { key: 'smartsheet', app: 'Smartsheet', cat: 'Project management', names: { US: 'Smartsheet Inc.', EU: 'Smartsheet UK Ltd' }, web: 'smartsheet.com', mail: 'ar@smartsheet.com', kind: 'seat', cadence: 'annual', plans: [['Smartsheet Business', 24]], seats: [5, 20] },
  { key: 'linear', app: 'Linear', cat: 'Engineering', names: { US: 'Linear Orbit, Inc.' }, web: 'linear.app', mail: 'billing@linear.app', kind: 'seat', cadence: 'monthly', plans: [['Linear Business', 14]], usd: true, seats: [10, 60] },
  { key: 'sentry', app: 'Sentry', cat: 'Monitoring', names: { US: 'Functional Software, Inc. dba Sentry' }, web: 'sentry.io', mail: 'billing@sentry.io', kind: 'usage', cadence: 'monthly', plans: [['Sentry Business – errors and transactions', 320]], usd: true },
  { key: 'pagerduty', app: 'PagerDuty', cat: 'Monitoring', names: { US: 'PagerDuty, Inc.' }, web: 'pagerduty.com', mail: 'ar@pagerduty.com', kind: 'seat', cadence: 'annual', plans: [['PagerDuty Business', 41]], usd: true, seats: [5, 25] },
  { key: 'snowflake', app: 'Snowflake', cat: 'Data', names: { US: 'Snowflake Inc.', EU: 'Snowflake Computing UK Ltd' }, web: 'snowflake.com', mail: 'ar@snowflake.com', kind: 'usage', cadence: 'monthly', plans: [['Snowflake on-demand credits', 2600], ['Snowflake storage (TB-month)', 230]] },
  { key: 'tableau', app: 'Tableau', cat: 'Data', names: { US: 'Tableau Software, LLC', EU: 'Tableau International Unlimited Company' }, web: 'tableau.com', mail: 'billing@tableau.com', kind: 'seat', cadence: 'annual', plans: [['Tableau Creator', 75], ['Tableau Viewer', 15]], seats: [3, 20] },
  { key: 'bamboohr', app: 'BambooHR', cat: 'HR', names: { US: 'BambooHR LLC' }, web: 'bamboohr.com', mail: 'billing@bamboohr.com', kind: 'seat', cadence: 'monthly', plans: [['BambooHR Pro – per employee', 8.25]], usd: true, seats: [60, 250] },
  { key: 'deel', app: 'Deel', cat: 'HR', names: { US: 'Deel, Inc.' }, web: 'deel.com', mail: 'billing@deel.com', kind: 'seat', cadence: 'monthly', plans: [['Deel EOR – contractor management', 49]], usd: true, seats: [3, 15] },
  { key: 'expensify', app: 'Expensify', cat: 'Finance', names: { US: 'Expensify, Inc.', EU: 'Expensify Limited' }, web: 'expensify.com', mail: 'billing@expensify.com', kind: 'seat', cadence: 'monthly', plans: [['Expensify Control plan', 9]], seats: [20, 120] },
  { key: 'grammarly', app: 'Grammarly', cat: 'Productivity', names: { US: 'Grammarly, Inc.' }, web: 'grammarly.com', mail: 'billing@grammarly.com', kind: 'seat', cadence: 'annual', plans: [['Grammarly Business', 15]], usd: true, seats: [5, 40] },
  { key: 'lucid', app: 'Lucidchart', cat: 'Collaboration', names: { US: 'Lucid Software Inc.' }, web: 'lucid.co', mail: 'billing@lucid.co', kind: 'seat', cadence: 'annual', plans: [['Lucidchart Team', 9]], usd: true, seats: [5, 30] },
  { key: 'freshworks', app: 'Freshdesk', cat: 'Customer support', names: { US: 'Freshworks Inc.' }, web: 'freshworks.com', mail: 'billing@freshworks.com', kind: 'seat', cadence: 'monthly', plans: [['Freshdesk Pro', 49]], usd: true, seats: [3, 15] },
  { key: 'pipedrive', app: 'Pipedrive', cat: 'CRM', names: { US: 'Pipedrive Inc.', EU: 'Pipedrive OÜ' }, web: 'pipedrive.com', mail: 'billing@pipedrive.com', kind: 'seat', cadence: 'monthly', plans: [['Pipedrive Professional', 49]], seats: [3, 12] },
  { key: 'cloudflare', app: 'Cloudflare', cat: 'Security', names: { US: 'Cloudflare, Inc.', EU: 'Cloudflare Ltd' }, web: 'cloudflare.com', mail: 'billing@cloudflare.com', kind: 'usage', cadence: 'monthly', plans: [['Cloudflare Business plan', 250], ['Cloudflare Workers Paid – requests', 45]] },
  { key: 'vercel', app: 'Vercel', cat: 'Engineering', names: { US: 'Vercel Inc.' }, web: 'vercel.com', mail: 'billing@vercel.com', kind: 'seat', cadence: 'monthly', plans: [['Vercel Pro – team seats', 20]], usd: true, seats: [5, 20] },
  { key: 'openai', app: 'ChatGPT', cat: 'AI', names: { US: 'OpenAI, L.L.C.', EU: 'OpenAI Ireland Limited' }, web: 'openai.com', mail: 'ar@openai.com', kind: 'seat', cadence: 'monthly', plans: [['ChatGPT Team', 30]], seats: [10, 60] },
  { key: 'anthropic', app: 'Claude', cat: 'AI', names: { US: 'Anthropic, PBC', EU: 'Anthropic Ireland, Limited' }, web: 'anthropic.com', mail: 'billing@anthropic.com', kind: 'seat', cadence: 'monthly', plans: [['Claude Team plan – standard seats', 30]], seats: [5, 40] },
];

// Resellers sell several apps on one invoice. `skus` are lines they resell: [description, usd per
// unit per month or per item, units min, units max, cadence factor (12 = annual prepaid)].
export const RESELLERS = [
  { key: 'shi', names: { US: 'SHI International Corp.', EU: 'SHI International UK Ltd' }, web: 'shi.com', mail: 'invoices@shi.com' },
  { key: 'cdw', names: { US: 'CDW LLC', EU: 'CDW Limited' }, web: 'cdw.com', mail: 'ar@cdw.com' },
  { key: 'softwareone', names: { US: 'SoftwareOne, Inc.', GB: 'SoftwareONE UK Ltd', DE: 'SoftwareONE Deutschland GmbH' }, web: 'softwareone.com', mail: 'billing@softwareone.com' },
  { key: 'crayon', names: { US: 'Crayon Software Experts LLC', GB: 'Crayon Software Experts UK Ltd', DE: 'Crayon Deutschland GmbH' }, web: 'crayon.com', mail: 'invoice@crayon.com' },
];

export const RESELLER_SKUS = [
  ['Adobe Creative Cloud All Apps for teams – annual – VIP', 89.99, 2, 8, 12],
  ['Adobe Acrobat Pro for teams – 12 months', 23.99, 5, 30, 12],
  ['Microsoft 365 E3 (NCE, annual commitment, monthly billing)', 36, 10, 80, 1],
  ['Microsoft Visio Plan 2 – NCE monthly', 15, 2, 10, 1],
  ['Autodesk AutoCAD LT – 1-year subscription', 62, 1, 5, 12],
  ['Tableau Creator – term license', 75, 1, 4, 12],
  ['Veeam Data Platform Foundation – 1 year', 18, 10, 40, 12],
  ['JetBrains All Products Pack – 1 year', 24.9, 3, 15, 12],
  ['Zoom Workplace Business – reseller renewal', 18.32, 5, 20, 12],
  ['Atlassian Jira Software Cloud Premium – annual', 13.53, 10, 50, 12],
];

// Non-SaaS spend, plus names that look like SaaS brands and are not ("Zoom Dental Clinic").
// kind selects the line template; every: 'month' makes one invoice a month, otherwise weight
// shares the filler volume.
export const OTHER = [
  { key: 'rent', kind: 'rent', every: 'month', names: { US: 'Regus Management Group, LLC', GB: 'Workspace Group plc', DE: 'Design Offices GmbH' }, web: 'regus.com', usd: 14500 },
  { key: 'utility', kind: 'utility', every: 'month', names: { US: 'Consolidated Edison Company of New York, Inc.', GB: 'British Gas Business', DE: 'Vattenfall Europe Sales GmbH' }, web: 'coned.com', usd: 900 },
  { key: 'telecom', kind: 'telecom', every: 'month', names: { US: 'Verizon Wireless', GB: 'BT Business', DE: 'Telekom Deutschland GmbH' }, web: 'verizon.com', usd: 1600 },
  { key: 'hardware', kind: 'hardware', weight: 8, names: { US: 'Dell Marketing L.P.', GB: 'Dell Corporation Limited', DE: 'Dell GmbH' }, web: 'dell.com', usd: 1400 },
  { key: 'apple', kind: 'hardware', weight: 3, names: { US: 'Apple Inc.', EU: 'Apple Distribution International Ltd.' }, web: 'apple.com', usd: 1800 },
  { key: 'travel', kind: 'travel', weight: 16, names: { US: 'American Express Global Business Travel', GB: 'Corporate Traveller UK Ltd', DE: 'BCD Travel Germany GmbH' }, web: 'amexglobalbusinesstravel.com', usd: 900 },
  { key: 'airline', kind: 'travel', weight: 6, names: { US: 'Delta Air Lines, Inc.', GB: 'British Airways Plc', DE: 'Deutsche Lufthansa AG' }, web: 'delta.com', usd: 700 },
  { key: 'hotel', kind: 'hotel', weight: 6, names: { US: 'Marriott International, Inc.', GB: 'Premier Inn Hotels Limited', DE: 'Motel One GmbH' }, web: 'marriott.com', usd: 450 },
  { key: 'fedex', kind: 'shipping', weight: 7, names: { US: 'FedEx Corporation', GB: 'FedEx Express UK Transportation Ltd', DE: 'FedEx Express Deutschland GmbH' }, web: 'fedex.com', usd: 60 },
  { key: 'ups', kind: 'shipping', weight: 5, names: { US: 'United Parcel Service, Inc.', GB: 'UPS Limited', DE: 'United Parcel Service Deutschland S.à r.l. & Co. OHG' }, web: 'ups.com', usd: 55 },
  { key: 'dhl', kind: 'shipping', weight: 4, names: { US: 'DHL Express (USA), Inc.', GB: 'DHL Parcel UK Ltd', DE: 'DHL Paket GmbH' }, web: 'dhl.com', usd: 45 },
  { key: 'catering', kind: 'catering', weight: 6, names: { US: 'Sodexo, Inc.', GB: 'Sodexo Limited', DE: 'Sodexo Services GmbH' }, web: 'sodexo.com', usd: 650 },
  { key: 'law', kind: 'legal', weight: 3, names: { US: 'Cooley LLP', GB: 'Baker & McKenzie LLP', DE: 'Hengeler Mueller Partnerschaft von Rechtsanwälten mbB' }, web: 'cooley.com', usd: 6500 },
  { key: 'googleads', kind: 'ads', weight: 3, names: { US: 'Google LLC', EU: 'Google Ireland Limited' }, web: 'google.com', mail: 'payments-noreply@google.com', usd: 3200, adsOf: 'Google Ads' },
  { key: 'linkedinads', kind: 'ads', weight: 2, names: { US: 'LinkedIn Corporation', EU: 'LinkedIn Ireland Unlimited Company' }, web: 'linkedin.com', usd: 2400, adsOf: 'LinkedIn Ads' },
  { key: 'metaads', kind: 'ads', weight: 2, names: { US: 'Meta Platforms, Inc.', EU: 'Meta Platforms Ireland Limited' }, web: 'meta.com', usd: 1900, adsOf: 'Meta ads' },
  { key: 'office', kind: 'office', weight: 8, names: { US: 'Staples Business Advantage', GB: 'Viking Direct (Office Depot UK Ltd)', DE: 'Lyreco Deutschland GmbH' }, web: 'staples.com', usd: 180 },
  { key: 'zoomdental', kind: 'dental', weight: 1, names: { US: 'Zoom Dental Clinic', EU: 'Zoom Dental Clinic Ltd' }, web: 'zoomdentalclinic.com', usd: 240 },
  { key: 'mondaybakery', kind: 'bakery', weight: 2, names: { US: 'Monday Bakery LLC', EU: 'Monday Bakery Ltd' }, web: '', usd: 120 },
  { key: 'boxoffice', kind: 'catering', weight: 2, names: { US: 'Box Office Catering', EU: 'Box Office Catering Ltd' }, web: 'boxofficecatering.com', usd: 520 },
];

// Companies in one environment. The third has no LCY Code in its General Ledger Setup (it books
// in euro but the code was never filled in), so its local-currency invoices have a blank
// currencyCode, exactly the case BC documents.
export const COMPANY_TEMPLATES = [
  { country: 'US', name: 'Northwind Traders, Inc.', lcy: 'USD', symbol: '$', city: 'New York', state: 'NY', post: '10013', addr: '350 Hudson Street', tax: [['NONTAXABLE', 0], ['TAXABLE', 8.875]], fx: 1 },
  { country: 'GB', name: 'Northwind Traders Ltd', lcy: 'GBP', symbol: '£', city: 'London', state: '', post: 'EC2A 4NE', addr: '12 Worship Street', tax: [['STANDARD', 20], ['ZERO', 0]], fx: 0.79 },
  { country: 'DE', name: 'Northwind Handels GmbH', lcy: '', realLcy: 'EUR', symbol: '', city: 'München', state: '', post: '80331', addr: 'Sendlinger Straße 7', tax: [['VAT19', 19], ['VAT0', 0]], fx: 0.92 },
  { country: 'DE', name: 'Northwind Logistik GmbH', lcy: 'EUR', symbol: '€', city: 'Hamburg', state: '', post: '20457', addr: 'Am Sandtorkai 50', tax: [['VAT19', 19], ['VAT0', 0]], fx: 0.92 },
  { country: 'GB', name: 'Northwind Services (UK) Ltd', lcy: 'GBP', symbol: '£', city: 'Manchester', state: '', post: 'M1 4BT', addr: '1 Piccadilly Gardens', tax: [['STANDARD', 20], ['ZERO', 0]], fx: 0.79 },
  { country: 'US', name: 'Northwind West, LLC', lcy: 'USD', symbol: '$', city: 'San Francisco', state: 'CA', post: '94105', addr: '101 Mission Street', tax: [['NONTAXABLE', 0], ['TAXABLE', 8.625]], fx: 1 },
];

export const VENDOR_ADDRESSES = {
  US: [['San Francisco', 'CA', '94105'], ['New York', 'NY', '10001'], ['Seattle', 'WA', '98109'], ['Austin', 'TX', '78701'], ['Boston', 'MA', '02110'], ['Denver', 'CO', '80202']],
  GB: [['London', '', 'EC1V 9BX'], ['Dublin', '', 'D02 R296'], ['Reading', '', 'RG2 6GD'], ['Manchester', '', 'M2 3AW']],
  DE: [['Berlin', '', '10117'], ['Dublin', '', 'D02 R296'], ['Frankfurt am Main', '', '60311'], ['Hamburg', '', '20095']],
};

export const PEOPLE = [
  'Emma Johnson', 'Liam Smith', 'Olivia Williams', 'Noah Brown', 'Ava Jones', 'Oliver Garcia', 'Sophia Miller',
  'Elijah Davis', 'Isabella Rodriguez', 'James Martinez', 'Mia Hernandez', 'Benjamin Lopez', 'Charlotte Gonzalez',
  'Lucas Wilson', 'Amelia Anderson', 'Henry Thomas', 'Harper Taylor', 'Alexander Moore', 'Evelyn Jackson',
  'Sebastian Martin', 'Abigail Lee', 'Jack Perez', 'Emily Thompson', 'Daniel White', 'Ella Harris', 'Matthew Sanchez',
  'Scarlett Clark', 'Samuel Ramirez', 'Grace Lewis', 'David Robinson', 'Chloe Walker', 'Joseph Young',
  'Lena Schmidt', 'Jonas Müller', 'Priya Patel', 'Tomasz Kowalski',
];

export const APP_PRINCIPALS = [
  ['AAD APP BC-SPEND SYNC', 'bc-spend sync (Microsoft Entra application)'],
  ['AAD APP POWER BI CONNECTOR', 'Power BI connector'],
  ['AAD APP SHOPIFY CONNECTOR', 'Shopify Connector'],
];
