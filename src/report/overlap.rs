//! Which apps do the same job, for the `overlappingApps` insight.
//!
//! The catalog's categories are broad (`communication` holds Slack, Zoom and RingCentral, which
//! do different jobs), so two apps of one category are not an overlap on their own. Overlaps are
//! judged by *function*: apps listed under one function below are substitutes (two video-meeting
//! tools, three password managers). An app may serve several functions (Microsoft Teams is chat
//! and video). Suites (Microsoft 365, Google Workspace) are left out on purpose: their bundled
//! tools cannot be cancelled on their own, so "you also pay for Zoom" is not actionable there.
//! Apps not listed (including a caller's own catalog apps) are not compared.

/// `(function id, label, app ids)`. Ids are catalog app ids (checked by a test).
pub const FUNCTIONS: &[(&str, &str, &[&str])] = &[
    (
        "video-meetings",
        "video meetings",
        &[
            "zoom",
            "microsoft-teams",
            "webex",
            "goto-meeting",
            "whereby",
        ],
    ),
    (
        "team-chat",
        "team chat",
        &[
            "slack",
            "microsoft-teams",
            "mattermost",
            "rocket-chat",
            "wire",
        ],
    ),
    (
        "cloud-telephony",
        "cloud telephony",
        &[
            "ringcentral",
            "8x8",
            "aircall",
            "dialpad",
            "nextiva",
            "ooma",
            "vonage",
            "justcall",
            "cloudtalk",
            "goto-connect",
        ],
    ),
    (
        "webinars-events",
        "webinars and events",
        &["on24", "goto-webinar", "livestorm", "bizzabo", "cvent"],
    ),
    (
        "messaging-apis",
        "SMS and voice APIs",
        &[
            "twilio-communications",
            "plivo",
            "sinch",
            "telnyx",
            "bandwidth",
            "infobip",
            "clicksend",
            "esendex",
            "bird",
        ],
    ),
    (
        "transactional-email",
        "transactional e-mail",
        &["sendgrid", "mailgun", "postmark"],
    ),
    (
        "intranet",
        "employee intranet",
        &["simpplr", "staffbase", "workvivo"],
    ),
    (
        "password-managers",
        "password managers",
        &[
            "1password",
            "lastpass",
            "bitwarden",
            "dashlane",
            "keeper",
            "nordpass",
        ],
    ),
    (
        "single-sign-on",
        "single sign-on",
        &["okta", "onelogin", "jumpcloud", "ping-identity"],
    ),
    (
        "endpoint-security",
        "endpoint security",
        &[
            "crowdstrike",
            "sentinelone",
            "sophos",
            "bitdefender",
            "eset",
            "malwarebytes",
            "trend-micro",
            "huntress",
        ],
    ),
    (
        "email-security",
        "e-mail security",
        &["mimecast", "proofpoint", "abnormal-security", "barracuda"],
    ),
    (
        "security-awareness",
        "security awareness training",
        &["knowbe4", "hoxhunt"],
    ),
    (
        "compliance-automation",
        "compliance automation",
        &["vanta", "drata", "secureframe", "sprinto"],
    ),
    (
        "vulnerability-scanning",
        "vulnerability scanning",
        &["qualys", "rapid7", "tenable", "intruder"],
    ),
    (
        "zero-trust-access",
        "zero-trust network access",
        &["zscaler", "netskope", "twingate", "tailscale", "nordlayer"],
    ),
    (
        "e-signature",
        "e-signature",
        &[
            "docusign",
            "dropbox-sign",
            "adobe-acrobat-sign",
            "pandadoc",
            "yousign",
            "oneflow",
            "zoho-sign",
            "airslate",
        ],
    ),
    (
        "contract-management",
        "contract management",
        &["ironclad", "juro", "linksquares", "conga"],
    ),
    (
        "legal-practice",
        "legal practice management",
        &["clio", "mycase", "filevine"],
    ),
    (
        "file-storage",
        "file storage and sharing",
        &[
            "box",
            "dropbox",
            "egnyte",
            "sharefile",
            "pcloud",
            "sync-com",
            "tresorit",
            "nextcloud",
        ],
    ),
    (
        "backup",
        "backup",
        &[
            "acronis",
            "backblaze",
            "carbonite",
            "druva",
            "idrive",
            "keepit",
            "veeam",
        ],
    ),
    (
        "whiteboards",
        "online whiteboards and diagrams",
        &["miro", "mural", "lucid", "whimsical", "klaxoon"],
    ),
    (
        "wiki",
        "wikis and docs",
        &[
            "confluence",
            "notion",
            "coda",
            "gitbook",
            "guru",
            "slab",
            "slite",
            "nuclino",
        ],
    ),
    (
        "work-management",
        "project and work management",
        &[
            "asana",
            "monday",
            "clickup",
            "wrike",
            "smartsheet",
            "basecamp",
            "teamwork",
            "trello",
            "zoho-projects",
            "nifty",
            "proofhub",
            "hive",
            "microsoft-project",
            "adobe-workfront",
        ],
    ),
    (
        "issue-tracking",
        "issue tracking",
        &["jira", "linear", "shortcut", "zenhub"],
    ),
    (
        "source-control",
        "source control",
        &["github", "gitlab", "bitbucket"],
    ),
    ("ci-cd", "CI/CD", &["circleci", "buildkite", "bitrise"]),
    (
        "browser-testing",
        "browser testing",
        &["browserstack", "lambdatest", "sauce-labs"],
    ),
    (
        "ai-coding",
        "AI coding assistants",
        &["github-copilot", "cursor", "tabnine", "windsurf"],
    ),
    (
        "ai-assistants",
        "AI chat assistants",
        &[
            "chatgpt",
            "claude",
            // The vendors' default apps: a line naming no product (the issue "Matching").
            "openai",
            "anthropic",
            "microsoft-copilot",
            "google-gemini",
            "perplexity",
            "mistral-ai",
        ],
    ),
    (
        "meeting-notes",
        "AI meeting notes",
        &[
            "otter-ai",
            "fireflies",
            "fathom",
            "avoma",
            "tldv",
            "read-ai",
        ],
    ),
    (
        "app-hosting",
        "application hosting",
        &["vercel", "netlify", "heroku", "render", "railway", "fly-io"],
    ),
    (
        "cdn",
        "CDN",
        &["cloudflare", "akamai", "fastly", "bunny-net"],
    ),
    (
        "apm",
        "application monitoring",
        &[
            "datadog",
            "new-relic",
            "dynatrace",
            "appdynamics",
            "instana",
            "honeycomb",
            "chronosphere",
            "grafana-cloud",
        ],
    ),
    (
        "error-tracking",
        "error tracking",
        &["sentry", "rollbar", "raygun"],
    ),
    (
        "on-call",
        "on-call and incidents",
        &[
            "pagerduty",
            "opsgenie",
            "incident-io",
            "firehydrant",
            "rootly",
        ],
    ),
    (
        "log-management",
        "log management",
        &["splunk", "sumo-logic", "logz-io", "coralogix", "elastic"],
    ),
    (
        "uptime-monitoring",
        "uptime monitoring",
        &[
            "uptimerobot",
            "checkly",
            "better-stack",
            "catchpoint",
            "site24x7",
        ],
    ),
    (
        "product-analytics",
        "product analytics",
        &["amplitude", "mixpanel", "heap", "pendo", "posthog"],
    ),
    (
        "session-replay",
        "session replay",
        &["fullstory", "hotjar", "contentsquare", "logrocket"],
    ),
    (
        "business-intelligence",
        "business intelligence",
        &[
            "tableau",
            "power-bi",
            "looker",
            "qlik",
            "domo",
            "sisense",
            "thoughtspot",
            "metabase",
            "sigma",
            "microstrategy",
            "zoho-analytics",
        ],
    ),
    (
        "dashboards",
        "KPI dashboards",
        &["databox", "geckoboard", "klipfolio"],
    ),
    (
        "data-integration",
        "data integration (ELT)",
        &["fivetran", "airbyte", "matillion", "informatica"],
    ),
    (
        "automation",
        "workflow automation and iPaaS",
        &[
            "zapier",
            "make",
            "n8n",
            "power-automate",
            "workato",
            "tray-io",
            "boomi",
            "celigo",
        ],
    ),
    (
        "ui-design",
        "UI design",
        &["figma", "sketch", "invision", "axure", "balsamiq"],
    ),
    (
        "stock-media",
        "stock media",
        &[
            "shutterstock",
            "getty-images",
            "adobe-stock",
            "envato",
            "freepik",
            "epidemic-sound",
        ],
    ),
    (
        "pdf-editing",
        "PDF editing",
        &["adobe-acrobat", "foxit", "nitro-pdf", "smallpdf"],
    ),
    (
        "scheduling",
        "meeting scheduling",
        &["calendly", "doodle", "youcanbookme", "chili-piper"],
    ),
    (
        "time-tracking",
        "time tracking",
        &["harvest", "toggl-track", "clockify", "hubstaff"],
    ),
    (
        "crm",
        "CRM",
        &[
            "salesforce",
            "hubspot",
            "pipedrive",
            "zoho-crm",
            "bigin",
            "freshsales",
            "copper",
            "insightly",
            "nutshell",
            "capsule-crm",
            "close",
            "attio",
            "sugarcrm",
            "keap",
        ],
    ),
    (
        "sales-engagement",
        "sales engagement",
        &[
            "outreach",
            "salesloft",
            "apollo",
            "lemlist",
            "yesware",
            "mixmax",
        ],
    ),
    (
        "sales-data",
        "contact data",
        &["zoominfo", "lusha", "cognism", "leadiq", "dealfront"],
    ),
    (
        "helpdesk",
        "customer helpdesk",
        &[
            "zendesk",
            "freshdesk",
            "help-scout",
            "front",
            "gorgias",
            "kustomer",
            "gladly",
            "zoho-desk",
            "happyfox",
            "dixa",
            "trengo",
            "helpshift",
        ],
    ),
    (
        "live-chat",
        "website live chat",
        &["intercom", "drift", "tidio", "livechat", "olark", "crisp"],
    ),
    (
        "contact-center",
        "contact center",
        &["five9", "talkdesk", "genesys-cloud"],
    ),
    (
        "itsm",
        "IT service management",
        &[
            "servicenow",
            "jira-service-management",
            "freshservice",
            "haloitsm",
            "sysaid",
            "topdesk",
        ],
    ),
    (
        "remote-support",
        "remote support",
        &[
            "teamviewer",
            "anydesk",
            "splashtop",
            "goto-resolve",
            "logmein-rescue",
            "logmein-pro",
        ],
    ),
    (
        "rmm",
        "remote monitoring and management",
        &[
            "ninjaone",
            "atera",
            "n-able",
            "kaseya",
            "connectwise",
            "syncro",
        ],
    ),
    (
        "device-management",
        "device management (MDM)",
        &[
            "jamf",
            "kandji",
            "mosyle",
            "addigy",
            "hexnode",
            "microsoft-intune",
        ],
    ),
    (
        "saas-management",
        "SaaS management",
        &["torii", "zylo", "bettercloud"],
    ),
    (
        "email-marketing",
        "e-mail marketing",
        &[
            "mailchimp",
            "klaviyo",
            "brevo",
            "activecampaign",
            "campaign-monitor",
            "constant-contact",
            "getresponse",
            "mailerlite",
            "mailjet",
            "kit",
            "dotdigital",
        ],
    ),
    (
        "social-media",
        "social media management",
        &["hootsuite", "buffer", "sprout-social", "agorapulse"],
    ),
    (
        "seo",
        "SEO",
        &["semrush", "ahrefs", "moz", "screaming-frog", "brightedge"],
    ),
    (
        "surveys-forms",
        "surveys and forms",
        &["surveymonkey", "typeform", "jotform", "qualtrics"],
    ),
    (
        "video-hosting",
        "video hosting",
        &["vimeo", "wistia", "vidyard"],
    ),
    (
        "website-builders",
        "website builders",
        &["webflow", "wix", "squarespace", "wordpress-com"],
    ),
    (
        "hris",
        "HR information system",
        &[
            "bamboohr",
            "hibob",
            "personio",
            "workday",
            "namely",
            "factorial",
            "sage-people",
            "zoho-people",
            "breathe-hr",
            "sap-successfactors",
        ],
    ),
    (
        "recruiting",
        "applicant tracking",
        &[
            "greenhouse",
            "lever",
            "ashby",
            "workable",
            "smartrecruiters",
            "jobvite",
            "icims",
            "teamtailor",
            "recruitee",
            "zoho-recruit",
        ],
    ),
    (
        "performance",
        "performance management",
        &[
            "lattice",
            "15five",
            "culture-amp",
            "leapsome",
            "betterworks",
        ],
    ),
    (
        "employer-of-record",
        "employer of record",
        &[
            "deel",
            "remote",
            "oyster",
            "papaya-global",
            "globalization-partners",
            "velocity-global",
        ],
    ),
    (
        "expense-management",
        "expense management",
        &[
            "expensify",
            "emburse",
            "sap-concur",
            "zoho-expense",
            "pleo",
            "spendesk",
        ],
    ),
    (
        "ap-automation",
        "accounts payable automation",
        &["bill", "tipalti", "avidxchange", "stampli", "melio"],
    ),
    (
        "subscription-billing",
        "subscription billing",
        &["chargebee", "recurly", "zuora"],
    ),
    ("sales-tax", "sales tax", &["avalara", "vertex", "taxjar"]),
    (
        "fp-and-a",
        "planning and budgeting",
        &["anaplan", "planful", "vena"],
    ),
    (
        "financial-close",
        "financial close",
        &["blackline", "floqast", "trintech"],
    ),
    (
        "learning-libraries",
        "online learning libraries",
        &[
            "linkedin-learning",
            "udemy-business",
            "coursera",
            "pluralsight",
            "skillsoft",
            "go1",
            "oreilly",
            "datacamp",
            "codecademy",
        ],
    ),
    (
        "lms",
        "learning management",
        &[
            "docebo",
            "360learning",
            "absorb-lms",
            "talentlms",
            "workramp",
        ],
    ),
    ("shipping", "shipping labels", &["shipstation", "shippo"]),
    (
        "reviews",
        "reviews and UGC",
        &["yotpo", "bazaarvoice", "trustpilot"],
    ),
];

/// The functions an app serves: `(id, label)`.
pub fn functions_of(app_id: &str) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    FUNCTIONS
        .iter()
        .filter(move |(_, _, apps)| apps.contains(&app_id))
        .map(|(id, label, _)| (*id, *label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn every_function_names_catalog_apps() {
        let c = Catalog::builtin();
        let mut seen = std::collections::BTreeSet::new();
        for (id, _, apps) in FUNCTIONS {
            assert!(seen.insert(*id), "duplicate function {id}");
            assert!(apps.len() >= 2, "{id}");
            for a in *apps {
                assert!(c.app(a).is_some(), "{id}: {a} is not a catalog app id");
            }
        }
        assert_eq!(functions_of("microsoft-teams").count(), 2);
        assert_eq!(functions_of("microsoft-365").count(), 0);
    }
}
