"""Everything the mention generator says: brands, names, and sentences written per language.

Kept in code (not fetched) because the product must run without external data. Sentences are written
for each language rather than translated word by word, and use these slots, filled per mention:
{brand} (the brand as the channel writes it), {hours}, {days}, {minutes}, {amount}, {ref}, {link}.

Template keys are "<intent>/<topic>@<sectors>" or "<intent>@<sectors>"; without "@" a template fits every
sector. Sectors may be joined with "+" and may be a group name from SECTOR_GROUPS.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Brand:
    account: str
    sector: str
    weight: float  # share of mentions
    ref_prefix: str  # order / booking / ticket references look like f"{ref_prefix}{digits}"
    ref_digits: int
    page_id: str  # facebook page id


BRANDS: tuple[Brand, ...] = (
    Brand("AcmeAir", "airline", 16, "AC", 4, "100064512870031"),
    Brand("NimbusBank", "bank", 11, "NB-", 8, "100063998101245"),
    Brand("ParcelPal", "delivery", 14, "PP", 10, "100068720339112"),
    Brand("StreamBox", "streaming", 12, "SBX-", 7, "100069132550874"),
    Brand("VoltMobile", "telecom", 10, "VM", 8, "100064402215569"),
    Brand("ZipRide", "ride", 9, "ZR", 9, "100067811094420"),
    Brand("FreshCart", "grocery", 9, "#", 7, "100065570203318"),
    Brand("BrewHaven", "cafe", 6, "#", 5, "100066194532706"),
    Brand("CloudNest", "software", 7, "CN-", 6, "100063350187993"),
    Brand("PixelForge", "gaming", 6, "PF", 8, "100068843776051"),
)

SECTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "digital": ("airline", "bank", "streaming", "telecom", "ride", "cafe", "software", "gaming", "grocery"),
    "shipping": ("delivery", "grocery"),
    "subscription": ("streaming", "telecom", "software", "gaming"),
}

# Languages and their share of mentions (English-heavy, like most brand inboxes).
LANGUAGE_WEIGHTS: dict[str, float] = {
    "en": 70,
    "es": 8,
    "fr": 5,
    "de": 5,
    "pt": 5,
    "it": 3,
    "ar": 2,
    "hi": 2,
}

# Names per language: (written as the person writes it, ASCII form for handles).
FIRST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": tuple(
        (name, name.lower())
        for name in (
            "James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Mia", "Lucas", "Chloe",
            "Jack", "Grace", "Ryan", "Zoe", "Daniel", "Hannah", "Marcus", "Priya", "Tom", "Aisha",
        )
    ),
    "es": (
        ("Lucía", "lucia"), ("Mateo", "mateo"), ("Sofía", "sofia"), ("Hugo", "hugo"), ("Martina", "martina"),
        ("Pablo", "pablo"), ("Valeria", "valeria"), ("Diego", "diego"), ("Carmen", "carmen"), ("Javier", "javi"),
    ),
    "fr": (
        ("Camille", "camille"), ("Louis", "louis"), ("Léa", "lea"), ("Hugo", "hugo"), ("Chloé", "chloe"),
        ("Jules", "jules"), ("Manon", "manon"), ("Théo", "theo"), ("Inès", "ines"), ("Mathis", "mathis"),
    ),
    "de": (
        ("Lukas", "lukas"), ("Anna", "anna"), ("Felix", "felix"), ("Lena", "lena"), ("Jonas", "jonas"),
        ("Marie", "marie"), ("Paul", "paul"), ("Sophie", "sophie"), ("Jürgen", "juergen"), ("Katrin", "katrin"),
    ),
    "pt": (
        ("João", "joao"), ("Ana", "ana"), ("Pedro", "pedro"), ("Beatriz", "bia"), ("Gabriel", "gabriel"),
        ("Larissa", "larissa"), ("Rafael", "rafa"), ("Juliana", "juliana"), ("Thiago", "thiago"), ("Camila", "camila"),
    ),
    "it": (
        ("Giulia", "giulia"), ("Marco", "marco"), ("Chiara", "chiara"), ("Luca", "luca"), ("Francesca", "francesca"),
        ("Matteo", "matteo"), ("Sara", "sara"), ("Alessandro", "ale"), ("Federica", "fede"), ("Davide", "davide"),
    ),
    "ar": (
        ("أحمد", "ahmed"), ("فاطمة", "fatima"), ("محمد", "mohamed"), ("ليلى", "layla"), ("يوسف", "youssef"),
        ("مريم", "mariam"), ("عمر", "omar"), ("نور", "nour"), ("خالد", "khaled"), ("سارة", "sara"),
    ),
    "hi": (
        ("प्रिया", "priya"), ("राहुल", "rahul"), ("अंजलि", "anjali"), ("अमित", "amit"), ("नेहा", "neha"),
        ("विकास", "vikas"), ("पूजा", "pooja"), ("अर्जुन", "arjun"), ("सुनीता", "sunita"), ("रोहन", "rohan"),
    ),
}  # fmt: skip

LAST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": tuple(
        (name, name.lower())
        for name in (
            "Smith", "Johnson", "Brown", "Taylor", "Walker", "Clarke", "Patel", "Nguyen", "Murphy", "Davies",
            "Lee", "Martin", "Okafor", "Rossi", "Evans", "Hughes",
        )
    ),
    "es": (
        ("García", "garcia"), ("Martínez", "martinez"), ("López", "lopez"), ("Sánchez", "sanchez"),
        ("Romero", "romero"), ("Torres", "torres"), ("Ruiz", "ruiz"), ("Navarro", "navarro"),
    ),
    "fr": (
        ("Martin", "martin"), ("Bernard", "bernard"), ("Dubois", "dubois"), ("Moreau", "moreau"),
        ("Laurent", "laurent"), ("Lefèvre", "lefevre"), ("Girard", "girard"), ("Roux", "roux"),
    ),
    "de": (
        ("Müller", "mueller"), ("Schmidt", "schmidt"), ("Schneider", "schneider"), ("Fischer", "fischer"),
        ("Weber", "weber"), ("Wagner", "wagner"), ("Becker", "becker"), ("Hoffmann", "hoffmann"),
    ),
    "pt": (
        ("Silva", "silva"), ("Santos", "santos"), ("Oliveira", "oliveira"), ("Souza", "souza"),
        ("Costa", "costa"), ("Pereira", "pereira"), ("Almeida", "almeida"), ("Ribeiro", "ribeiro"),
    ),
    "it": (
        ("Rossi", "rossi"), ("Russo", "russo"), ("Ferrari", "ferrari"), ("Esposito", "esposito"),
        ("Bianchi", "bianchi"), ("Romano", "romano"), ("Colombo", "colombo"), ("Ricci", "ricci"),
    ),
    "ar": (
        ("الحسن", "alhassan"), ("خليل", "khalil"), ("منصور", "mansour"), ("سعيد", "saeed"),
        ("عبدالله", "abdullah"), ("حداد", "haddad"), ("النجار", "alnajjar"), ("عثمان", "othman"),
    ),
    "hi": (
        ("शर्मा", "sharma"), ("वर्मा", "verma"), ("गुप्ता", "gupta"), ("सिंह", "singh"),
        ("पटेल", "patel"), ("यादव", "yadav"), ("मेहता", "mehta"), ("जोशी", "joshi"),
    ),
}  # fmt: skip

# Verified accounts with large audiences: (handle, display name, language, followers).
INFLUENCERS: tuple[tuple[str, str, str, int], ...] = (
    ("TessTravels", "Tess | Travel Tips", "en", 1_240_000),
    ("TechTalkTom", "Tom Okafor", "en", 860_000),
    ("MoneyWithMaya", "Maya Chen", "en", 412_000),
    ("GamerGabe", "Gabe 🎮", "en", 2_950_000),
    ("ConsumerWatchdog_", "Consumer Watchdog", "en", 175_000),
    ("dailycommuter", "The Daily Commuter", "en", 128_000),
    ("laviajera", "Laura Viajera ✈️", "es", 530_000),
    ("marcotech", "Marco Tech", "it", 210_000),
    ("claire_voyage", "Claire en voyage", "fr", 340_000),
    ("technikfan", "Technik Fan", "de", 190_000),
    ("canaldojoao", "Canal do João", "pt", 1_610_000),
)

SPAM_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("deals4u_", "Best Deals 🔥"),
    ("cryptoking", "Crypto King 🚀"),
    ("followers_fast", "Get Followers"),
    ("promo_hub", "Promo Hub"),
    ("signals_pro", "Signals PRO 💰"),
    ("winfree", "Win Free Stuff"),
    ("ofertas_ya", "Ofertas YA"),
    ("ganhe_hoje", "Ganhe Hoje"),
)

AMOUNTS: dict[str, tuple[str, ...]] = {
    "en": ("$49.99", "$120", "$18.50", "$312.40", "$9.99", "£75", "$64.20", "$1,150"),
    "es": ("49,99 €", "120 €", "18,50 €", "312 €", "89,90 €"),
    "fr": ("49,99 €", "120 €", "18,50 €", "89,90 €", "230 €"),
    "de": ("49,99 €", "120 €", "18,50 €", "89,90 €", "312 €"),
    "pt": ("R$ 249,90", "R$ 89,00", "R$ 1.200,00", "R$ 59,90"),
    "it": ("49,99 €", "120 €", "18,50 €", "89,90 €"),
    "ar": ("250 درهم", "120 دولار", "480 ريال", "95 دينار"),
    "hi": ("₹1,499", "₹2,350", "₹799", "₹12,000"),
}

# How an e-mail to support opens and closes, per language.
EMAIL_FRAMES: dict[str, tuple[str, str]] = {
    "en": ("Hi {brand} team,", "Thanks,"),
    "es": ("Hola, equipo de {brand}:", "Un saludo,"),
    "fr": ("Bonjour,", "Cordialement,"),
    "de": ("Hallo {brand}-Team,", "Viele Grüße"),
    "pt": ("Olá, equipe {brand},", "Obrigado,"),
    "it": ("Buongiorno,", "Cordiali saluti,"),
    "ar": ("مرحباً فريق {brand}،", "شكراً،"),
    "hi": ("नमस्ते {brand} टीम,", "धन्यवाद,"),
}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "complaint/delay@airline": (
            "Flight {ref} delayed {hours} hours and not a single update from the crew. What is going on?",
            "Sitting at the gate for {hours} hours now and nobody from {brand} can tell us when we're leaving.",
            "Third delay on my flight today. I'm going to miss my connection and nobody at the desk seems to care.",
        ),
        "complaint/delay@shipping": (
            "My order {ref} was supposed to arrive {days} days ago. Tracking hasn't moved since.",
            "Delivery window came and went again. Still no parcel, still no explanation.",
            "Took the day off work to wait for a delivery that never showed up. Order {ref}.",
        ),
        "complaint/delay@ride": (
            "Waited {minutes} minutes for a driver who then cancelled on me. Now I'm late for work.",
            "The app said 4 minutes. It's been {minutes}. Where is my driver?",
        ),
        "complaint/delay@cafe": (
            "Ordered ahead in the app and still waited {minutes} minutes at the counter. What's the point?",
        ),
        "complaint/refund": (
            "Still waiting for my refund of {amount}. It's been {days} days and every agent tells me something "
            "different.",
            "You promised a refund for {ref} within 5 business days. That was {days} days ago.",
            "Cancelled my order and was told I'd get {amount} back. Nothing yet. Please sort this out.",
        ),
        "complaint/outage@digital": (
            "Your app has been down for {hours} hours. Can't log in, can't do anything.",
            "Is the website broken again? I keep getting an error page when I try to sign in.",
            "Every time I open the app it crashes. Reinstalled it twice already.",
        ),
        "complaint/outage@telecom": (
            "No signal at all since this morning. Working from home is impossible.",
            "Internet has been dropping every ten minutes for {days} days now.",
        ),
        "complaint/outage@streaming": (
            "The stream keeps buffering and then kicks me out in the middle of the episode. I'm paying for this?",
        ),
        "complaint/outage@gaming": ("Servers down again during the weekend event. Lost all my progress.",),
        "complaint/outage@bank": (
            "Card declined at the supermarket even though there's money in my account, and the app shows nothing.",
        ),
        "complaint/lost_parcel@shipping": (
            "Tracking says delivered but there's no parcel. Neighbours haven't seen it either. Order {ref}.",
            "My parcel has been 'in transit' for {days} days. I think it's lost.",
        ),
        "complaint/lost_parcel@grocery": (
            "Half the items from my order are missing and I was charged for all of them.",
        ),
        "complaint/lost_parcel@airline": (
            "Landed {hours} hours ago and my bag is still missing. File reference {ref}. Any news?",
            "You lost my suitcase and nobody answers the baggage hotline.",
        ),
        "complaint/billing": (
            "I was charged twice for the same order ({amount} each). Please refund the duplicate.",
            "Why is there a charge of {amount} on my statement? I never authorised this.",
        ),
        "complaint/billing@subscription": ("Cancelled my subscription last month and you still billed me {amount}.",),
        "complaint/billing@ride": ("Charged {amount} for a ten minute ride. The estimate was half that.",),
        "complaint/billing@bank": ("An overdraft fee of {amount} for a payment that cleared the same day? Seriously?",),
        "question": (
            "How do I update the payment method on my account?",
            "Is there any way to speak to a real person? The chatbot keeps going in circles.",
            "What are your customer service hours at the weekend?",
            "Can I change the email address on my account without losing my history?",
        ),
        "question@airline": (
            "Can I still change my flight for free if I booked a basic fare?",
            "What's the checked baggage allowance on international flights?",
        ),
        "question@delivery": ("Can I have my parcel redirected to a pickup point? Order {ref}.",),
        "question@bank": ("How long does an international transfer usually take?",),
        "question@streaming": ("Does the family plan work across different countries?",),
        "question@telecom": ("Does my plan include roaming in Europe?",),
        "question@ride": ("How do I report an item I left in a car?",),
        "question@grocery": ("Do you deliver on Sundays?",),
        "question@cafe": ("Do you have any dairy-free options for the seasonal drinks?",),
        "question@software": ("Is there a way to export all my data before I downgrade my plan?",),
        "question@gaming": ("When does the new season start?",),
        "praise": (
            "Huge thanks to {brand} support, problem sorted in ten minutes. That's how it's done!",
            "Really impressed with the service today, the agent went above and beyond. Thank you!",
            "Just want to say the new update is great. So much faster than before.",
        ),
        "praise@airline": ("Smooth flight, friendly crew and we landed early. Thanks {brand}!",),
        "praise@delivery": ("Parcel arrived a day early and the driver was lovely. Great job.",),
        "praise@cafe": ("Best flat white in town, and the barista remembered my name.",),
        "venting": (
            "Worst customer service I've ever dealt with. Never again.",
            "I'm so done with {brand}. Every single time something goes wrong.",
            "Honestly don't know why I keep giving you my money.",
            "{minutes} minutes on hold, then the call dropped. Unbelievable.",
        ),
        "ask_others": (
            "Anyone else having problems with {brand} today?",
            "Is {brand} down for everyone or just me?",
            "Has anyone actually managed to get a refund from {brand}? Asking for a friend.",
            "Anyone else been charged twice by {brand} this week?",
        ),
    },
    "es": {
        "complaint/delay@airline": (
            "Vuelo {ref} con {hours} horas de retraso y nadie nos da información. ¿Qué está pasando?",
            "Llevamos {hours} horas en la puerta de embarque y nadie de {brand} sabe decirnos cuándo salimos.",
        ),
        "complaint/delay@shipping": (
            "Mi pedido {ref} tenía que llegar hace {days} días y el seguimiento no se ha movido.",
            "Me quedé en casa todo el día esperando una entrega que nunca llegó.",
        ),
        "complaint/delay@ride": (
            "Esperé {minutes} minutos a un conductor que al final canceló. Ahora llego tarde al trabajo.",
        ),
        "complaint/delay@cafe": ("Pedí por la app y aun así esperé {minutes} minutos en el mostrador.",),
        "complaint/refund": (
            "Sigo esperando el reembolso de {amount}. Ya han pasado {days} días y cada agente me dice una cosa "
            "distinta.",
            "Me prometieron el reembolso en 5 días hábiles y ya van {days}.",
        ),
        "complaint/outage@digital": (
            "La app lleva {hours} horas caída. No puedo ni iniciar sesión.",
            "¿Otra vez la web sin funcionar? Me sale un error cada vez que intento entrar.",
        ),
        "complaint/outage@telecom": ("Sin cobertura desde esta mañana. Así es imposible teletrabajar.",),
        "complaint/lost_parcel@shipping": (
            "El seguimiento dice entregado pero aquí no hay ningún paquete. Pedido {ref}.",
            "Mi paquete lleva {days} días 'en tránsito'. Creo que se ha perdido.",
        ),
        "complaint/lost_parcel@airline": (
            "Aterricé hace {hours} horas y mi maleta sigue sin aparecer. Referencia {ref}.",
        ),
        "complaint/billing": (
            "Me han cobrado dos veces el mismo pedido ({amount} cada uno). Quiero que me devuelvan el duplicado.",
            "¿Por qué tengo un cargo de {amount} en mi cuenta? Yo no he autorizado nada.",
        ),
        "question": (
            "¿Cómo puedo cambiar el método de pago de mi cuenta?",
            "¿Hay alguna forma de hablar con una persona de verdad? El chatbot no me ayuda.",
            "¿Cuál es el horario de atención al cliente los fines de semana?",
        ),
        "praise": (
            "Mil gracias al equipo de {brand}, me resolvieron el problema en diez minutos.",
            "Muy contento con la atención de hoy, la agente fue súper amable. ¡Gracias!",
        ),
        "venting": (
            "El peor servicio al cliente que he visto en mi vida. Nunca más.",
            "Estoy harto de {brand}. Siempre pasa algo.",
            "{minutes} minutos esperando al teléfono y luego se corta la llamada. Increíble.",
        ),
        "ask_others": (
            "¿A alguien más le falla {brand} hoy?",
            "¿{brand} está caído para todos o solo para mí?",
        ),
    },
    "fr": {
        "complaint/delay@airline": (
            "Vol {ref} retardé de {hours} heures et aucune information. Qu'est-ce qui se passe ?",
            "Ça fait {hours} heures qu'on attend en porte d'embarquement et personne chez {brand} ne sait quand "
            "on part.",
        ),
        "complaint/delay@shipping": (
            "Ma commande {ref} devait arriver il y a {days} jours et le suivi n'a pas bougé.",
            "J'ai attendu toute la journée un livreur qui n'est jamais venu.",
        ),
        "complaint/delay@ride": (
            "J'ai attendu {minutes} minutes un chauffeur qui a fini par annuler. Me voilà en retard au travail.",
        ),
        "complaint/delay@cafe": (
            "Commande passée sur l'appli et j'ai quand même attendu {minutes} minutes au comptoir.",
        ),
        "complaint/refund": (
            "J'attends toujours mon remboursement de {amount}. Ça fait {days} jours et chaque conseiller me dit "
            "autre chose.",
            "On m'a promis un remboursement sous 5 jours ouvrés. On en est à {days}.",
        ),
        "complaint/outage@digital": (
            "L'appli est en panne depuis {hours} heures. Impossible de me connecter.",
            "Le site plante encore ? J'ai un message d'erreur à chaque connexion.",
        ),
        "complaint/outage@telecom": ("Plus aucun réseau depuis ce matin. Impossible de télétravailler.",),
        "complaint/lost_parcel@shipping": (
            "Le suivi indique livré mais je n'ai reçu aucun colis. Commande {ref}.",
            "Mon colis est « en transit » depuis {days} jours. Je pense qu'il est perdu.",
        ),
        "complaint/lost_parcel@airline": ("Atterri depuis {hours} heures et toujours pas de valise. Dossier {ref}.",),
        "complaint/billing": (
            "J'ai été débité deux fois pour la même commande ({amount} chacune). Merci de rembourser le doublon.",
            "Pourquoi ce prélèvement de {amount} sur mon compte ? Je n'ai rien autorisé.",
        ),
        "question": (
            "Comment changer le moyen de paiement sur mon compte ?",
            "Est-ce qu'il y a un moyen de parler à un vrai humain ? Le chatbot tourne en rond.",
            "Quels sont vos horaires de service client le week-end ?",
        ),
        "praise": (
            "Un grand merci au service client de {brand}, problème réglé en dix minutes !",
            "Très bon accueil aujourd'hui, la conseillère a été adorable. Merci !",
        ),
        "venting": (
            "Le pire service client que j'aie jamais vu. Plus jamais.",
            "J'en ai marre de {brand}. Il y a toujours un problème.",
            "{minutes} minutes d'attente au téléphone et ça raccroche. Incroyable.",
        ),
        "ask_others": (
            "Quelqu'un d'autre a des soucis avec {brand} aujourd'hui ?",
            "{brand} est en panne pour tout le monde ou juste pour moi ?",
        ),
    },
    "de": {
        "complaint/delay@airline": (
            "Flug {ref} hat {hours} Stunden Verspätung und niemand sagt uns etwas. Was ist da los?",
            "Wir sitzen seit {hours} Stunden am Gate und keiner von {brand} weiß, wann es weitergeht.",
        ),
        "complaint/delay@shipping": (
            "Meine Bestellung {ref} sollte vor {days} Tagen ankommen und die Sendungsverfolgung bewegt sich nicht.",
            "Den ganzen Tag zu Hause gewartet und die Lieferung kam nie.",
        ),
        "complaint/delay@ride": (
            "{minutes} Minuten auf einen Fahrer gewartet, der dann storniert hat. Jetzt komme ich zu spät zur Arbeit.",
        ),
        "complaint/delay@cafe": ("In der App vorbestellt und trotzdem {minutes} Minuten an der Theke gewartet.",),
        "complaint/refund": (
            "Ich warte immer noch auf meine Erstattung von {amount}. Seit {days} Tagen, und jeder Mitarbeiter "
            "erzählt mir etwas anderes.",
            "Mir wurde eine Erstattung innerhalb von 5 Werktagen versprochen. Jetzt sind es {days}.",
        ),
        "complaint/outage@digital": (
            "Die App geht seit {hours} Stunden nicht. Ich kann mich nicht mal einloggen.",
            "Ist die Website schon wieder kaputt? Bei jedem Login bekomme ich eine Fehlermeldung.",
        ),
        "complaint/outage@telecom": ("Seit heute Morgen kein Netz. So ist Homeoffice unmöglich.",),
        "complaint/lost_parcel@shipping": (
            "Laut Sendungsverfolgung zugestellt, aber hier ist kein Paket. Bestellung {ref}.",
            "Mein Paket ist seit {days} Tagen „in Zustellung“. Ich glaube, es ist verloren gegangen.",
        ),
        "complaint/lost_parcel@airline": (
            "Seit {hours} Stunden gelandet und mein Koffer ist immer noch nicht da. Vorgang {ref}.",
        ),
        "complaint/billing": (
            "Mir wurde dieselbe Bestellung zweimal abgebucht ({amount} pro Buchung). Bitte erstatten Sie die "
            "doppelte Zahlung.",
            "Warum habe ich eine Abbuchung über {amount} auf meinem Konto? Das habe ich nie autorisiert.",
        ),
        "question": (
            "Wie kann ich die Zahlungsmethode in meinem Konto ändern?",
            "Kann ich irgendwie mit einem echten Menschen sprechen? Der Chatbot dreht sich im Kreis.",
            "Wann ist Ihr Kundenservice am Wochenende erreichbar?",
        ),
        "praise": (
            "Großes Dankeschön an den Support von {brand}, Problem in zehn Minuten gelöst!",
            "Heute wirklich toller Service, die Mitarbeiterin war super freundlich. Danke!",
        ),
        "venting": (
            "Der schlechteste Kundenservice, den ich je erlebt habe. Nie wieder.",
            "Ich habe die Nase voll von {brand}. Jedes Mal ist irgendwas.",
            "{minutes} Minuten in der Warteschleife und dann bricht die Verbindung ab. Unglaublich.",
        ),
        "ask_others": (
            "Hat noch jemand heute Probleme mit {brand}?",
            "Ist {brand} bei allen down oder nur bei mir?",
        ),
    },
    "pt": {
        "complaint/delay@airline": (
            "Voo {ref} com {hours} horas de atraso e ninguém dá informação. O que está acontecendo?",
            "Estamos há {hours} horas no portão de embarque e ninguém da {brand} sabe dizer quando vamos sair.",
        ),
        "complaint/delay@shipping": (
            "Meu pedido {ref} era pra ter chegado há {days} dias e o rastreamento não sai do lugar.",
            "Fiquei o dia inteiro em casa esperando uma entrega que nunca chegou.",
        ),
        "complaint/delay@ride": (
            "Esperei {minutes} minutos por um motorista que depois cancelou. Agora vou chegar atrasado no trabalho.",
        ),
        "complaint/delay@cafe": ("Pedi pelo app e mesmo assim esperei {minutes} minutos no balcão.",),
        "complaint/refund": (
            "Ainda estou esperando o reembolso de {amount}. Já se passaram {days} dias e cada atendente fala uma "
            "coisa.",
            "Prometeram o estorno em 5 dias úteis. Já são {days}.",
        ),
        "complaint/outage@digital": (
            "O app está fora do ar há {hours} horas. Não consigo nem fazer login.",
            "O site caiu de novo? Dá erro toda vez que eu tento entrar.",
        ),
        "complaint/outage@telecom": ("Sem sinal desde hoje de manhã. Impossível trabalhar de casa assim.",),
        "complaint/lost_parcel@shipping": (
            "O rastreamento diz entregue mas não chegou pacote nenhum. Pedido {ref}.",
            "Meu pacote está 'em trânsito' há {days} dias. Acho que foi extraviado.",
        ),
        "complaint/lost_parcel@airline": ("Pousei há {hours} horas e minha mala ainda não apareceu. Protocolo {ref}.",),
        "complaint/billing": (
            "Fui cobrado duas vezes pelo mesmo pedido ({amount} cada). Quero o estorno da cobrança duplicada.",
            "Por que tem uma cobrança de {amount} na minha fatura? Eu não autorizei nada.",
        ),
        "question": (
            "Como faço para mudar a forma de pagamento da minha conta?",
            "Tem algum jeito de falar com uma pessoa de verdade? O chatbot não resolve nada.",
            "Qual o horário do atendimento no fim de semana?",
        ),
        "praise": (
            "Muito obrigado ao pessoal da {brand}, resolveram meu problema em dez minutos!",
            "Atendimento excelente hoje, a atendente foi super atenciosa. Valeu!",
        ),
        "venting": (
            "Pior atendimento que eu já vi na vida. Nunca mais.",
            "Cansei da {brand}. Sempre tem algum problema.",
            "{minutes} minutos esperando na linha e a ligação cai. Inacreditável.",
        ),
        "ask_others": (
            "Mais alguém com problema na {brand} hoje?",
            "A {brand} caiu pra todo mundo ou só pra mim?",
        ),
    },
    "it": {
        "complaint/delay@airline": (
            "Volo {ref} in ritardo di {hours} ore e nessuna informazione. Cosa sta succedendo?",
            "Siamo al gate da {hours} ore e nessuno di {brand} sa dirci quando partiamo.",
        ),
        "complaint/delay@shipping": (
            "Il mio ordine {ref} doveva arrivare {days} giorni fa e il tracking è fermo.",
            "Sono rimasto a casa tutto il giorno ad aspettare una consegna mai arrivata.",
        ),
        "complaint/delay@ride": (
            "Ho aspettato {minutes} minuti un autista che poi ha cancellato. Ora arrivo tardi al lavoro.",
        ),
        "complaint/delay@cafe": ("Ordinato dall'app e ho comunque aspettato {minutes} minuti al bancone.",),
        "complaint/refund": (
            "Sto ancora aspettando il rimborso di {amount}. Sono passati {days} giorni e ogni operatore mi dice "
            "una cosa diversa.",
            "Mi avevate promesso il rimborso entro 5 giorni lavorativi. Siamo a {days}.",
        ),
        "complaint/outage@digital": (
            "L'app non funziona da {hours} ore. Non riesco nemmeno ad accedere.",
            "Il sito è di nuovo giù? Mi dà errore ogni volta che provo ad accedere.",
        ),
        "complaint/outage@telecom": ("Niente campo da stamattina. Impossibile lavorare da casa.",),
        "complaint/lost_parcel@shipping": (
            "Il tracking dice consegnato ma qui non è arrivato nessun pacco. Ordine {ref}.",
            "Il mio pacco è 'in transito' da {days} giorni. Credo sia andato perso.",
        ),
        "complaint/lost_parcel@airline": (
            "Atterrato da {hours} ore e la mia valigia non si trova ancora. Pratica {ref}.",
        ),
        "complaint/billing": (
            "Mi avete addebitato due volte lo stesso ordine ({amount} ciascuno). Rimborsatemi il doppio addebito.",
            "Perché ho un addebito di {amount} sul conto? Non ho autorizzato niente.",
        ),
        "question": (
            "Come posso cambiare il metodo di pagamento sul mio account?",
            "C'è un modo per parlare con una persona vera? Il chatbot gira a vuoto.",
            "Quali sono gli orari del servizio clienti nel weekend?",
        ),
        "praise": (
            "Grazie mille all'assistenza di {brand}, problema risolto in dieci minuti!",
            "Servizio ottimo oggi, l'operatrice è stata gentilissima. Grazie!",
        ),
        "venting": (
            "Il peggior servizio clienti che abbia mai visto. Mai più.",
            "Sono stufo di {brand}. C'è sempre qualcosa che non va.",
            "{minutes} minuti in attesa al telefono e poi cade la linea. Incredibile.",
        ),
        "ask_others": (
            "Qualcun altro ha problemi con {brand} oggi?",
            "{brand} è down per tutti o solo per me?",
        ),
    },
    # Arabic and Hindi sentences avoid bare numbers of hours/days where agreement would need care.
    "ar": {
        "complaint/delay@airline": (
            "الرحلة {ref} متأخرة منذ ساعات ولا أحد يعطينا أي معلومات. ماذا يحدث؟",
            "نحن عند البوابة منذ ساعات ولا أحد من {brand} يعرف متى سنقلع.",
        ),
        "complaint/delay@shipping": (
            "طلبي رقم {ref} كان من المفترض أن يصل منذ أيام والتتبع لم يتحرك.",
            "انتظرت في البيت طوال اليوم ولم يصل الطلب.",
        ),
        "complaint/delay@ride": ("انتظرت السائق أكثر من نصف ساعة ثم ألغى الرحلة. سأتأخر عن عملي.",),
        "complaint/delay@cafe": ("طلبت من التطبيق ومع ذلك انتظرت طويلاً عند الكاونتر.",),
        "complaint/refund": (
            "ما زلت أنتظر استرداد مبلغ {amount}. مرّت أيام وكل موظف يقول لي شيئاً مختلفاً.",
            "وعدتموني باسترداد المبلغ خلال خمسة أيام عمل، ولم يصلني شيء حتى الآن.",
        ),
        "complaint/outage@digital": (
            "التطبيق متوقف منذ ساعات. لا أستطيع حتى تسجيل الدخول.",
            "هل الموقع معطّل مرة أخرى؟ تظهر لي رسالة خطأ كلما حاولت الدخول.",
        ),
        "complaint/outage@telecom": ("لا توجد تغطية منذ الصباح. العمل من البيت مستحيل.",),
        "complaint/lost_parcel@shipping": ("التتبع يقول إن الطلب تم تسليمه لكن لم يصلني أي شيء. الطلب {ref}.",),
        "complaint/lost_parcel@airline": ("وصلت منذ ساعات وحقيبتي ما زالت مفقودة. رقم البلاغ {ref}.",),
        "complaint/billing": (
            "تم خصم المبلغ مرتين على نفس الطلب. أرجو استرجاع المبلغ المكرر.",
            "لماذا يوجد خصم بقيمة {amount} في حسابي؟ لم أوافق على أي شيء.",
        ),
        "question": (
            "كيف يمكنني تغيير طريقة الدفع في حسابي؟",
            "هل هناك طريقة للتحدث مع موظف حقيقي؟ الروبوت لا يساعد.",
        ),
        "praise": (
            "شكراً جزيلاً لفريق {brand}، تم حل مشكلتي خلال عشر دقائق!",
            "خدمة ممتازة اليوم، الموظفة كانت لطيفة جداً. شكراً!",
        ),
        "venting": (
            "أسوأ خدمة عملاء تعاملت معها في حياتي. لن أكررها.",
            "سئمت من {brand}. هناك مشكلة في كل مرة.",
        ),
        "ask_others": (
            "هل يواجه أحد غيري مشكلة مع {brand} اليوم؟",
            "هل {brand} معطّل عند الجميع أم عندي فقط؟",
        ),
    },
    "hi": {
        "complaint/delay@airline": (
            "फ्लाइट {ref} {hours} घंटे से लेट है और कोई जानकारी नहीं दे रहा। आखिर हो क्या रहा है?",
            "हम {hours} घंटे से गेट पर बैठे हैं और {brand} का कोई भी नहीं बता पा रहा कि फ्लाइट कब जाएगी।",
        ),
        "complaint/delay@shipping": (
            "मेरा ऑर्डर {ref} {days} दिन पहले आना था और ट्रैकिंग अब तक वहीं अटकी है।",
            "पूरा दिन घर पर इंतज़ार किया लेकिन डिलीवरी आई ही नहीं।",
        ),
        "complaint/delay@ride": (
            "{minutes} मिनट ड्राइवर का इंतज़ार किया और फिर उसने राइड कैंसल कर दी। अब मैं ऑफिस के लिए लेट हो गया।",
        ),
        "complaint/delay@cafe": ("ऐप से ऑर्डर किया फिर भी काउंटर पर {minutes} मिनट इंतज़ार करना पड़ा।",),
        "complaint/refund": (
            "मैं अब भी {amount} के रिफंड का इंतज़ार कर रहा हूँ। {days} दिन हो गए और हर एजेंट कुछ अलग बताता है।",
            "आपने 5 कार्यदिवस में रिफंड का वादा किया था। आज {days} दिन हो गए।",
        ),
        "complaint/outage@digital": (
            "ऐप {hours} घंटे से बंद है। लॉगिन तक नहीं हो रहा।",
            "क्या वेबसाइट फिर से खराब है? हर बार लॉगिन करने पर एरर आ रहा है।",
        ),
        "complaint/outage@telecom": ("सुबह से नेटवर्क ही नहीं है। घर से काम करना नामुमकिन हो गया है।",),
        "complaint/lost_parcel@shipping": ("ट्रैकिंग में डिलीवर्ड दिखा रहा है लेकिन कोई पार्सल नहीं मिला। ऑर्डर {ref}।",),
        "complaint/lost_parcel@airline": ("लैंड हुए {hours} घंटे हो गए और मेरा बैग अब तक नहीं मिला। शिकायत नंबर {ref}।",),
        "complaint/billing": (
            "एक ही ऑर्डर के लिए मुझसे दो बार पैसे काटे गए ({amount} हर बार)। कृपया डुप्लीकेट पेमेंट वापस करें।",
            "मेरे खाते से {amount} क्यों कटे? मैंने कुछ भी अधिकृत नहीं किया।",
        ),
        "question": (
            "मैं अपने अकाउंट में पेमेंट का तरीका कैसे बदलूँ?",
            "क्या किसी असली इंसान से बात करने का कोई तरीका है? चैटबॉट से कोई मदद नहीं मिल रही।",
        ),
        "praise": (
            "{brand} की सपोर्ट टीम का बहुत-बहुत धन्यवाद, दस मिनट में मेरी समस्या हल हो गई!",
            "आज की सर्विस शानदार थी, एजेंट ने बहुत अच्छे से मदद की। धन्यवाद!",
        ),
        "venting": (
            "मैंने आज तक इससे खराब कस्टमर सर्विस नहीं देखी। अब कभी नहीं।",
            "{brand} से मैं तंग आ चुका हूँ। हर बार कोई न कोई दिक्कत।",
        ),
        "ask_others": (
            "क्या आज किसी और को भी {brand} में दिक्कत आ रही है?",
            "क्या {brand} सबके लिए डाउन है या सिर्फ मेरे लिए?",
        ),
    },
}

# Replies in a thread: the same author chasing ("follow_up") or someone else chiming in ("me_too").
THREAD_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "follow_up": (
            "Still no reply. It's been {hours} hours.",
            "Any update on this?",
            "Hello? Is anyone actually reading these?",
            "Sent you a DM as asked, still nothing.",
        ),
        "me_too": (
            "Same here, {days} days and nothing.",
            "Happening to me too. Glad it's not just me.",
            "This exact thing happened to me last month. Good luck.",
            "They sorted mine after I called, try the phone line.",
        ),
    },
    "es": {
        "follow_up": ("Sigo sin respuesta. Ya van {hours} horas.", "¿Alguna novedad?"),
        "me_too": ("A mí me pasa lo mismo, {days} días y nada.", "Me pasó exactamente lo mismo el mes pasado. Suerte."),
    },
    "fr": {
        "follow_up": ("Toujours pas de réponse. Ça fait {hours} heures.", "Des nouvelles ?"),
        "me_too": ("Pareil pour moi, {days} jours et rien.", "Exactement la même chose le mois dernier. Bon courage."),
    },
    "de": {
        "follow_up": ("Immer noch keine Antwort. Seit {hours} Stunden.", "Gibt es schon Neuigkeiten?"),
        "me_too": (
            "Bei mir genauso, {days} Tage und nichts.",
            "Genau das ist mir letzten Monat auch passiert. Viel Glück.",
        ),
    },
    "pt": {
        "follow_up": ("Até agora nenhuma resposta. Já são {hours} horas.", "Alguma novidade?"),
        "me_too": ("Comigo também, {days} dias e nada.", "Aconteceu exatamente isso comigo mês passado. Boa sorte."),
    },
    "it": {
        "follow_up": ("Ancora nessuna risposta. Sono passate {hours} ore.", "Novità?"),
        "me_too": (
            "Anche a me, {days} giorni e niente.",
            "Mi è successa la stessa cosa il mese scorso. In bocca al lupo.",
        ),
    },
    "ar": {
        "follow_up": ("ما زلت بلا رد حتى الآن.", "هل من جديد؟"),
        "me_too": ("نفس الشيء حصل معي، ولا رد حتى الآن.", "حدث معي نفس الأمر الشهر الماضي. بالتوفيق."),
    },
    "hi": {
        "follow_up": ("अब तक कोई जवाब नहीं। {hours} घंटे हो गए।", "कोई अपडेट?"),
        "me_too": ("मेरे साथ भी यही हुआ, {days} दिन हो गए और कुछ नहीं।", "पिछले महीने मेरे साथ भी बिल्कुल यही हुआ था।"),
    },
}

# Sentences that make a complaint urgent, appended to it.
URGENCY_CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "legal": (
            "If this isn't resolved by Friday I'm taking you to small claims court.",
            "My lawyer will be in touch.",
            "I've already filed a complaint with the consumer protection agency.",
        ),
        "cancel": ("Cancel my account. I'm done.", "I want to close my account today.", "Cancel my subscription now."),
        "safety": ("This is a safety issue and someone is going to get hurt.", "I felt genuinely unsafe."),
    },
    "es": {
        "legal": (
            "Si no se resuelve esta semana, lo pongo en manos de mi abogado.",
            "Ya he puesto una reclamación en consumo.",
        ),
        "cancel": ("Quiero darme de baja hoy mismo.", "Cancelad mi cuenta, no quiero saber nada más."),
        "safety": ("Esto es un problema de seguridad grave, alguien va a salir herido.",),
    },
    "fr": {
        "legal": (
            "Sans solution d'ici vendredi, je saisis mon avocat.",
            "J'ai déjà déposé une réclamation auprès de la DGCCRF.",
        ),
        "cancel": ("Je veux résilier mon abonnement aujourd'hui.", "Fermez mon compte, j'arrête."),
        "safety": ("C'est un vrai problème de sécurité, quelqu'un va finir par être blessé.",),
    },
    "de": {
        "legal": (
            "Wenn das bis Freitag nicht geklärt ist, schalte ich meinen Anwalt ein.",
            "Ich habe bereits Beschwerde bei der Verbraucherzentrale eingereicht.",
        ),
        "cancel": ("Ich will meinen Vertrag sofort kündigen.", "Löschen Sie mein Konto, mir reicht's."),
        "safety": ("Das ist ein ernstes Sicherheitsproblem, hier wird noch jemand verletzt.",),
    },
    "pt": {
        "legal": ("Se não resolverem até sexta, vou acionar meu advogado.", "Já abri reclamação no Procon."),
        "cancel": ("Quero cancelar minha conta hoje mesmo.", "Cancela minha assinatura, não aguento mais."),
        "safety": ("Isso é um problema sério de segurança, alguém vai se machucar.",),
    },
    "it": {
        "legal": (
            "Se non risolvete entro venerdì mi rivolgo a un avvocato.",
            "Ho già fatto reclamo all'associazione consumatori.",
        ),
        "cancel": ("Voglio disdire l'abbonamento oggi stesso.", "Chiudete il mio account, basta."),
        "safety": ("È un serio problema di sicurezza, qualcuno si farà male.",),
    },
    "ar": {
        "legal": ("إذا لم تُحل المشكلة هذا الأسبوع سأتوجه إلى محامٍ.",),
        "cancel": ("أريد إلغاء حسابي اليوم.",),
        "safety": ("هذه مشكلة سلامة خطيرة وقد يتأذى أحد.",),
    },
    "hi": {
        "legal": ("अगर इस हफ्ते तक मामला हल नहीं हुआ तो मैं उपभोक्ता अदालत जाऊँगा।",),
        "cancel": ("मेरा अकाउंट आज ही बंद कर दीजिए।",),
        "safety": ("यह सुरक्षा का गंभीर मामला है, किसी को चोट लग सकती है।",),
    },
}

# Spam, by kind; languages without their own spam borrow English (spammers mostly write English).
SPAM: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "link": (
            "🔥 90% OFF designer bags today only 👉 {link}",
            "Earn $500 a day working from home! No experience needed {link}",
            "Congratulations! You've been selected for a $1000 gift card. Claim here: {link}",
        ),
        "crypto": (
            "Turn $100 into $5,000 in a week with our BTC signals 🚀 DM me or join {link}",
            "Free ETH airdrop for the first 1,000 users! Claim now {link}",
            "I made 12x on this new coin before it hit the exchanges. Don't miss the next one {link}",
        ),
        "follower": (
            "Get 10K real followers in 24 hours 💯 {link}",
            "Want more likes? Cheapest followers on the market, check my bio!",
        ),
    },
    "es": {
        "link": ("🔥 Gana 500€ al día desde casa, sin experiencia 👉 {link}",),
        "follower": ("Consigue 10.000 seguidores reales en 24 horas 💯 {link}",),
    },
    "pt": {
        "link": ("🔥 Ganhe R$500 por dia trabalhando de casa 👉 {link}",),
        "crypto": ("Transforme R$100 em R$5.000 com nossos sinais de cripto 🚀 {link}",),
    },
}

EMOJI_BY_INTENT: dict[str, tuple[str, ...]] = {
    "complaint": ("😡", "🙄", "😤", "😩"),
    "venting": ("😡", "🤬", "😤"),
    "praise": ("🙌", "❤️", "👏", "😊"),
    "question": ("🤔", "🙏"),
    "ask_others": ("🤷", "👀"),
}

SUBREDDITS: tuple[str, ...] = ("r/mildlyinfuriating", "r/CustomerService", "r/assholedesign", "r/personalfinance")
