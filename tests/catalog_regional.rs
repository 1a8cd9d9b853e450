//! The regional and added apps of the shipped catalog (issue 18, part 2): each is found from the
//! billing entity and the line its invoices print, in the language of the ledger, and ordinary
//! words, places and hardware that share a brand's name stay unmatched.

use bc_spend::catalog::Catalog;
use bc_spend::matching::{Matcher, VendorInfo};
use std::sync::OnceLock;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(Catalog::builtin(), &[]).expect("the shipped catalog compiles"))
}

fn app(vendor: &str, description: &str) -> Option<String> {
    let d = (!description.is_empty()).then_some(description);
    matcher()
        .explain(&VendorInfo::named(vendor), d)
        .matched
        .map(|m| m.app_id.clone())
}

#[test]
fn the_catalog_covers_a_mid_size_company() {
    let n = Catalog::builtin().len();
    assert!(n >= 1500, "{n} apps");
}

#[test]
fn regional_apps_are_found_from_their_invoices() {
    for (vendor, line, want) in [
        ("Olinda SAS", "Abonnement Qonto Smart - mars 2026", "qonto"),
        ("PayFit SAS", "Abonnement PayFit - 42 salariés", "payfit"),
        ("Lucca SAS", "Lucca Figgo - 120 utilisateurs", "lucca"),
        (
            "Pennylane SAS",
            "Abonnement Pennylane Essentiel",
            "pennylane",
        ),
        (
            "Haufe-Lexware GmbH & Co. KG",
            "lexoffice XL Jahresabo",
            "lexware-office",
        ),
        ("Nufin GmbH", "Moss Pro - 25 Benutzer monatlich", "moss"),
        ("Candis GmbH", "Candis Plus Abonnement", "candis"),
        (
            "Thesaurus Software Limited",
            "BrightPay Cloud annual licence",
            "brightpay",
        ),
        ("Tripletex AS", "Tripletex Smart - 12 brukere", "tripletex"),
        ("Visma Dinero ApS", "Dinero Pro årsabonnement", "dinero"),
        ("Fortnox AB", "", "fortnox"),
        (
            "Visma Spcs AB",
            "Visma eEkonomi Standard - 5 användare månad",
            "visma-eaccounting",
        ),
        (
            "Moneybird B.V.",
            "Abonnement Moneybird Plus - 3 gebruikers",
            "moneybird",
        ),
        ("Nmbrs B.V.", "Nmbrs Payroll maandabonnement", "nmbrs"),
        (
            "Holded Technologies S.L.",
            "Suscripción Holded Standard - 10 usuarios",
            "holded",
        ),
        (
            "Signaturit Solutions S.L.",
            "Signaturit eSignature licencias",
            "signaturit",
        ),
        (
            "TeamSystem S.p.A.",
            "Fatture in Cloud Premium abbonamento annuale",
            "fatture-in-cloud",
        ),
        ("Aruba PEC S.p.A.", "Rinnovo Aruba PEC Pro", "aruba-pec"),
        ("Aruba S.p.A.", "Aruba Cloud VPS - 12 mesi", "aruba-cloud"),
        (
            "Zucchetti S.p.A.",
            "Zucchetti HR Infinity - 30 utenti",
            "zucchetti-hr",
        ),
        (
            "Wolters Kluwer Tax & Accounting Nederland B.V.",
            "Twinfield Boekhouden",
            "twinfield",
        ),
        ("StataCorp LLC", "Stata/MP 4-core annual license", "stata"),
        (
            "Egress Software Technologies Ltd",
            "Egress Protect - 50 users",
            "egress",
        ),
        (
            "Red Hat Limited",
            "Red Hat Enterprise Linux Server, Standard - 1 year",
            "red-hat",
        ),
        (
            "Check Point Software Technologies Ltd.",
            "Harmony Endpoint Complete - 250 users",
            "check-point",
        ),
    ] {
        assert_eq!(
            app(vendor, line).as_deref(),
            Some(want),
            "{vendor} / {line}"
        );
    }
}

#[test]
fn ordinary_words_places_and_hardware_sharing_a_brand_stay_unmatched() {
    for (vendor, line) in [
        // "dinero" is Spanish for money; Dinero is a Danish accounting app.
        ("Ferretería López S.L.", "Cambio de dinero en efectivo"),
        // Lucca is a Tuscan town as well as a French HR suite.
        (
            "Trasporti Rossi S.r.l.",
            "Trasferta Lucca - pedaggi e carburante",
        ),
        // HPE Aruba access points are hardware, not Aruba S.p.A.'s hosting.
        (
            "Hewlett Packard Enterprise",
            "Aruba Instant On AP22 access point",
        ),
        // A pound sterling, a tide table, a wave pool: ordinary words.
        ("Marina Services Ltd", "Tide table booklet"),
        ("Acme Pools Ltd", "Wave pool maintenance"),
        ("Zip Wire Adventures Ltd", "Team building day"),
        // "sympa" is French for nice, "puzzel" Dutch for puzzle, "strato" Italian for layer.
        (
            "Boulangerie Martin SARL",
            "Petit-déjeuner sympa pour l'équipe",
        ),
        ("Speelgoed Jansen B.V.", "Puzzel 1000 stukjes"),
        ("Edilizia Bianchi S.r.l.", "Strato di isolamento termico"),
        // Written apart, "life size" and "time log" are not Lifesize and TimeLog.
        (
            "Print Express Ltd",
            "Life size cut-out subscription display",
        ),
        (
            "Consulting Partners Ltd",
            "Time log subscription hours March",
        ),
        // Addison Lee is a taxi firm, not the ADDISON tax software; "stata" is Italian for
        // "been", "unito" for "joined", "quaderno" for "notebook".
        ("Addison Lee Limited", "Taxi journey 12/03"),
        ("Acme Ltd", "Addison Lee taxi to airport"),
        (
            "Rossi S.r.l.",
            "La fattura è stata emessa per la consulenza",
        ),
        ("Rossi S.r.l.", "Progetto unito al contratto"),
        ("Cartoleria Bianchi S.n.c.", "Quaderno A4 a righe"),
        // A pub, a welcome pack and a freight consignor are not Black Duck, Welcome to the
        // Jungle or nShift.
        ("The Black Duck Inn", "Dinner for 6"),
        ("Acme Ltd", "Welcome kit for new hires"),
        ("Acme Freight Ltd", "Consignor: Acme Ltd - freight"),
        ("Acme Ltd", "Maxon DC motor EC45"),
    ] {
        assert_eq!(app(vendor, line), None, "{vendor} / {line}");
    }
}

#[test]
fn ordinary_words_one_letter_from_a_brand_are_not_read_as_its_typo() {
    for (vendor, line, brand) in [
        (
            "SNCF Voyageurs SA",
            "Billet de train Paris - Lyon",
            "billit",
        ),
        ("Librería Central S.L.", "Libro de contabilidad", "libeo"),
        (
            "Architekturbüro Weber GmbH",
            "Planen und Entwerfen",
            "planon",
        ),
        ("Mario Rossi", "Consulenza fiscale", "maxio"),
        ("Hotel Grandi Viaggi S.p.A.", "Soggiorno 2 notti", "gandi"),
        (
            "Acme Ltd",
            "Danza aziendale team building",
            "danea-easyfatt",
        ),
        (
            "Uitzendbureau De Vries B.V.",
            "Uren in de tijden van maart",
            "tide",
        ),
        // A swap of neighbours that is a frequent word is that word: Spanish "este" (this) is
        // not ESET, "pelo" (hair) not Pleo, Italian "parola" not Parloa, Finland's Posti not Posit.
        ("Acme S.L.", "Cuota de este mes", "eset"),
        ("Peluquería Ana S.L.", "Corte de pelo", "pleo"),
        ("Rossi S.r.l.", "Una parola sul progetto", "parloa"),
        ("Posti Oy", "Paketti 2 kg", "posit"),
    ] {
        let got = app(vendor, line);
        assert_ne!(got.as_deref(), Some(brand), "{vendor} / {line}");
        assert_eq!(got, None, "{vendor} / {line}");
    }
    // A swap of neighbours is still a typo of the brand.
    assert_eq!(
        app("Okat Inc", "Workforce Identity SSO 120 users").as_deref(),
        Some("okta")
    );
}
