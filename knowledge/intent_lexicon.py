"""What people type for each thing the bot does, as patterns over a folded message.

The patterns are written the way :func:`knowledge.understand.fold_text` writes a message: lower case, umlauts
as plain vowels and "ae"/"oe"/"ue" merged into them ("zuständig", "zustaendig" and "zustandig" all become
"zustandig"), so that one pattern serves every spelling people use on a phone keyboard.

Several intents can match one message ("Hallo, wer ist in Hanau zuständig?" greets and asks); ``PRECEDENCE``
decides, the more specific request first: stopping a subscription names meetings, a data export names the data
the privacy question is about, a greeting is only what is left when nothing else is asked.
"""

from __future__ import annotations

#: Intents in the order they win when several match.
PRECEDENCE: tuple[str, ...] = (
    "unsubscribe", "subscribe", "delete_me", "my_data", "privacy", "my_claims", "claim", "language", "events",
    "contact", "help", "cancel", "thanks", "greeting",
)

#: Intents that are about a place; only these get a place and a topic.
PLACE_INTENTS = frozenset({"contact", "events", "subscribe", "unsubscribe"})

_DATA = r"(?:daten|data)"
_NOTICE = r"(?:termin|nachricht|benachrichtig|info|mitteilung|meldung|einladung|treffen|mail|push|event|meeting)"

PATTERNS: dict[str, tuple[str, ...]] = {
    "unsubscribe": (
        r"\babbestell\w*", r"\bunsubscrib\w*", r"\bdeabonnier\w*", r"\bentfolg\w*", r"\bunfollow\b",
        rf"\bkeine\b.{{0,40}}\b{_NOTICE}\w*.{{0,40}}\bmehr\b",
        r"\bnicht mehr\b.{0,30}\b(?:abonnier|informier|benachrichtig|bekomm|erhalt|schick|folg)\w*",
        r"\babo\w*\b.{0,40}\b(?:kundig|beend|stopp|losch|abbestell|aufheb)\w*",
        r"\b(?:kundig|beend)\w*\b.{0,20}\babo\w*",
        r"\bstop+\w* (?:sending|notify|notifications?|messages?|events?|meetings?|following)\b",
        r"\bno more (?:events?|meetings?|notifications?|messages?|updates?)\b",
    ),
    "subscribe": (
        r"\babonn?ier\w*", r"\bsubscrib\w*", r"\babo\b", r"\bnotify\b", r"\bbenachrichtig\w*",
        r"\bbescheid (?:sagen|geben|gibst|sagst)", r"\bbescheid\b.{0,30}\bwenn\b", r"\binformiert (?:werden|bleiben)",
        r"\bauf dem laufenden\b", r"\binfos?\b.{0,40}\b(?:bekommen|erhalten|kriegen)\b",
        r"\bnachrichten\b.{0,40}\b(?:bekommen|erhalten|kriegen)\b", r"\bkeep me (?:posted|updated|informed)\b",
        r"\bfolg(?:en|e)\b", r"\bfollow\b",
    ),
    "delete_me": (
        r"\blosch\w*", r"\bgelosch\w*", r"\bdelete\w*", r"\berase\b",
        rf"\bremove\b.{{0,30}}\b(?:{_DATA}|account|me|everything)\b",
        r"\b(?:konto|account|profil|benutzerkonto)\b.{0,20}\b(?:entfern|auflos|kundig|weg)\w*",
        r"\bvergiss mich\b", r"\bforget me\b",
    ),
    "my_data": (
        rf"^\W*(?:meine|my) {_DATA}\W*$", r"^\W*meinedaten\W*$", r"^\W*mydata\W*$",
        rf"\b(?:schick|send|sende|senden|gib|give|export|exportier|download|herunterlad|kopie|copy|auskunft)\w*\b"
        rf".{{0,40}}\b{_DATA}\b",
        rf"\b{_DATA}\b.{{0,40}}\b(?:schick|send|export|download|datei|file|kopie|copy|herunterlad)\w*",
    ),
    "privacy": (
        r"\bdatenschutz\w*", r"\bprivacy\b", r"\bdsgvo\b", r"\bgdpr\b", r"\bspeicher\w*", r"\bgespeichert\w*",
        rf"\b(?:was|what|welche|which)\b.{{0,30}}\b{_DATA}\b",
        rf"\b{_DATA}\b.{{0,30}}\b(?:passiert|happen\w*|keep|store\w*|speicher\w*|verwend\w*|use)\b", r"\biban\b",
    ),
    "my_claims": (
        r"\b(?:mein|meine|meiner|meinen|meinem)\b.{0,20}\b(?:antrag|antrage|antragen|antrags|\w*abrechnung\w*"
        r"|erstattung\w*|claims?)\b",
        r"\bmy claims?\b", r"\bclaims? (?:been|status)\b", r"^\W*meineantrage\W*$", r"^\W*myclaims\W*$",
        r"\b(?:status|stand)\b.{0,30}\b(?:antrag|antrage|claim|fahrtkosten|abrechnung|meiner|meines)\w*",
        r"\b(?:antrag|antrage|claim|fahrtkosten|\w*abrechnung)\w*\b.{0,40}\b(?:bezahlt|genehmigt|uberwiesen"
        r"|ausgezahlt|offen|paid|approved|status|stand|abgelehnt|rejected)\b",
        r"\bwie viele antrage\b",
    ),
    "claim": (
        r"\bfahr?t?kost\w*", r"\bkilometer(?:geld|pauschale)\b", r"\breisekost\w*", r"\bclaim\b",
        r"\btravel (?:costs?|expenses?)\b", r"\bmileage\b", r"\bauslagen\b", r"\breimburs\w*", r"\bexpenses?\b",
        r"\b(?:\w*ticket|\w*fahrkarte|fahrschein|quittung|beleg|rechnung|km|kilometer|sprit|benzin|zug|bus)\w*\b"
        r".{0,60}\b(?:erstatt|einreich|abrechn|abgeb|reimburs|claim|zuruck)\w*",
        r"\b(?:erstatt|einreich|abrechn)\w*\b.{0,30}\b(?:\w*ticket|\w*fahrkarte|km|kilometer)\b",
        r"\bantrag (?:stellen|einreichen|machen)\b", r"\bneuer antrag\b",
    ),
    "language": (
        r"\b(?:change|switch|set)\b.{0,20}\b(?:language|english|german|deutsch|englisch)\b",
        r"^\W*(?:english|englisch|deutsch|german)\b(?!.{0,20}\b(?:lern|kurs|course|learn))",
        r"\b(?:auf|in|to|into)\s+(?:englisch|english|deutsch|german)\b(?!.{0,20}\b(?:lern|kurs|course|learn))",
        r"\bsprache\b", r"\blanguage\W*$", r"\bkannst du (?:auch )?(?:englisch|deutsch|english)\b",
        r"\b(?:speak|sprichst|sprechen sie|spreche) (?:englisch|english|deutsch|german)\b",
        r"^\W*(?:sprache|language)\b",
    ),
    "events": (
        r"\btermin\w*", r"\btreffen\b", r"\btrifft\b", r"\bvernetzungstreff\w*", r"\brunde\w* tisch\w*",
        r"\brunder tisch\b", r"\bround ?tables?\b", r"\bmeetings?\b", r"\bevents?\b", r"\bveranstaltung\w*",
        r"\bupcoming\b", r"\bsitzung\w*", r"\bstammtisch\w*", r"\bdates\b",
    ),
    "contact": (
        r"\bansprech\w*", r"\bzustandig\w*", r"\bkontakt\w*", r"\bkoordin\w*", r"\bcoordinat\w*",
        r"\bwer (?:ist|hilft|kummert|kann|koordiniert|macht|berat|begleitet|weiss|betreut|is)\b",
        r"\ban wen\b", r"\bwen (?:kann|frag|soll|sprech|wend)\w*", r"\bwho (?:is|do|can|helps|handles)\b",
        r"\bcontact\b", r"\bresponsible\b", r"\b\w*beauftragte\w*", r"\bjemand\w*\b", r"\banlaufstelle\w*",
        r"\bgibt es\b.{0,30}\b(?:jemand|stelle|ansprech|beratung|hilfe)\w*", r"\bis there (?:someone|anyone)\b",
        r"\bwo kann ich\b",
    ),
    "help": (
        r"^\W*(?:hilfe|help|hilf mir|hilfe bitte|bitte hilfe|ich brauche hilfe|\?+|start|menu|menue)\W*$",
        r"\bwas kannst du\b", r"\bwas (?:kann|konnen) (?:ich|der bot|man|sie)\b", r"\bwie funktioniert\b",
        r"\bwie geht das\b", r"\bwie benutz\w*", r"\bwie nutz\w*", r"\bwhat can (?:you|i) do\b",
        r"\bhow does (?:this|it) work\b", r"\bhow do i use\b", r"\bwhat do you do\b", r"\banleitung\b",
        r"\bbefehle\b", r"\bcommands\b", r"\bwas machst du\b", r"\bwas bietest du\b",
    ),
    "cancel": (
        r"^\W*(?:abbrechen|abbruch|stopp?|cancel|halt|beenden|quit|exit|nevermind|never mind|nee|lass)\W*$",
        r"\babbrech\w*", r"\babbruch\b", r"\bvergiss es\b", r"\blass (?:mal|gut sein|es sein)\b", r"\bcancel\b",
        r"\bforget it\b", r"\bstopp\b", r"^\W*stop\b",
    ),
    "thanks": (
        r"\bdank\w*", r"\bthx\b", r"\bthanks?\b", r"\bthank you\b", r"\bmerci\b", r"\bty\b", r"\bdanki\b",
    ),
    "greeting": (
        r"^\W*(?:hallo\w*|hi|hey|hej|huhu|moin\w*|servus|gruss gott|gruezi|gruzi|griass di|guten (?:morgen|tag|abend)"
        r"|good (?:morning|evening|afternoon)|hello|salut|salam|tach|na du)\b",
    ),
}

#: Weaker cues of a contact question: they count only together with a place or a topic
#: ("Brauche Hilfe mit Wohnung", "ich suche jemanden in Ulm"), since "Hilfe" alone asks for the help text.
WEAK_CONTACT: tuple[str, ...] = (
    r"\bhilfe\b", r"\bhelp\b", r"\bbrauche\b", r"\bsuche\b", r"\bi need\b", r"\bneed\b", r"\bfrage\w*",
    r"\bunterstutz\w*", r"\bhelf\w*",
)

#: Words people mistype; a misspelt word within one or two edits of one of these is read as it.  They are the
#: words that carry an intent on their own, the folded way the patterns spell them.
VOCABULARY: tuple[str, ...] = (
    "abbestellen", "abbrechen", "abonnieren", "abonniere", "ansprechpartner", "ansprechpartnerin",
    "ansprechperson", "antrage", "antrag", "benachrichtigen", "datenschutz", "danke", "dankeschon", "einreichen",
    "erstatten", "fahrtkosten", "fahrtkostenantrag", "hallo", "hilfe", "kilometergeld", "kontakt",
    "koordinatorin", "koordinator", "loschen", "meinedaten", "reisekosten", "sprache", "termine", "termin",
    "treffen", "unsubscribe", "subscribe", "zustandig", "zustandige", "privacy", "language", "meetings",
    "contact", "coordinator", "responsible", "englisch", "deutsch", "abrechnen", "runder", "tisch",
)
