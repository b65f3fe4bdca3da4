"""Value vocabularies of the protected attributes and a list of common first names.

Terms are lower-case ASCII (accents folded) in English, German, French, Spanish and Italian.
A column matches when most of its values are terms of one vocabulary.
"""

from __future__ import annotations


def _terms(text: str) -> frozenset[str]:
    return frozenset(text.split())


GENDER = _terms(
    "male female m f man woman men women boy girl non-binary nonbinary enby transgender trans "
    "transman transwoman agender genderqueer genderfluid intersex cisgender diverse divers "
    "mannlich weiblich mann frau homme femme masculin feminin hombre mujer masculino femenino "
    "maschio femmina maschile femminile h w x d"
) | {"non binary", "trans man", "trans woman", "cis male", "cis female", "prefer not to say"}

# Values that occur in every vocabulary column but say nothing alone.
NEUTRAL = frozenset(
    ["other", "unknown", "none", "n/a", "na", "prefer not to say", "not stated", "undisclosed",
     "declined", "autre", "otro", "andere", "sonstige", "keine", "ninguna", "aucune"]
)  # fmt: skip

RELIGION = frozenset(
    ["christian", "christianity", "catholic", "roman catholic", "protestant", "orthodox",
     "anglican", "lutheran", "methodist", "baptist", "evangelical", "mormon", "lds",
     "jehovah's witness", "muslim", "islam", "sunni", "shia", "jewish", "judaism", "hindu",
     "hinduism", "buddhist", "buddhism", "sikh", "sikhism", "jain", "bahai", "baha'i",
     "shinto", "taoist", "zoroastrian", "pagan", "atheist", "agnostic", "no religion",
     "christlich", "katholisch", "evangelisch", "romisch-katholisch", "muslimisch", "judisch",
     "konfessionslos", "chretien", "catholique", "protestant", "musulman", "juif", "athee",
     "cristiano", "catolico", "protestante", "musulman", "judio", "ateo", "cattolico",
     "ebreo", "ateo", "buddista", "induista", "budista", "hinduista"]
)  # fmt: skip

ETHNICITY = frozenset(
    ["white", "black", "asian", "hispanic", "latino", "latina", "latinx", "caucasian",
     "african american", "black or african american", "native american", "american indian",
     "american indian or alaska native", "alaska native", "pacific islander",
     "native hawaiian", "native hawaiian or other pacific islander", "mixed", "multiracial",
     "two or more races", "biracial", "arab", "middle eastern", "indigenous", "aboriginal",
     "first nations", "south asian", "east asian", "southeast asian", "white british",
     "white irish", "white other", "black african", "black caribbean", "black british",
     "indian", "pakistani", "bangladeshi", "chinese", "mixed race", "roma", "gypsy",
     "traveller", "hispanic or latino", "not hispanic or latino", "non-hispanic white",
     "non-hispanic black", "blanco", "negro", "asiatico", "mestizo", "indigena", "blanc",
     "noir", "asiatique", "metis", "weiss", "schwarz", "asiatisch", "bianco", "nero"]
)  # fmt: skip

SEXUAL_ORIENTATION = frozenset(
    ["heterosexual", "straight", "gay", "lesbian", "bisexual", "bi", "homosexual", "asexual",
     "ace", "pansexual", "queer", "questioning", "demisexual", "gay or lesbian",
     "gay man", "gay woman", "heterosexuell", "homosexuell", "bisexuell", "schwul",
     "heterosexuel", "homosexuel", "bisexuel", "lesbienne", "lesbiana", "heterosexuale",
     "omosessuale", "bisessuale", "eterosessuale"]
)  # fmt: skip

# Words of diagnoses; a value matches when one of its words (or word pairs) is here.
DIAGNOSIS = frozenset(
    ["diabetes", "diabetic", "asthma", "hypertension", "hypotension", "depression",
     "depressive", "anxiety", "cancer", "carcinoma", "tumor", "tumour", "leukemia", "lymphoma",
     "melanoma", "hiv", "aids", "hepatitis", "covid-19", "covid", "influenza", "flu",
     "pneumonia", "bronchitis", "tuberculosis", "arthritis", "osteoarthritis", "migraine",
     "epilepsy", "schizophrenia", "bipolar", "adhd", "autism", "ptsd", "dementia",
     "alzheimer's", "alzheimers", "alzheimer", "parkinson's", "parkinsons", "parkinson",
     "stroke", "copd", "emphysema", "obesity", "anemia", "anaemia", "sclerosis",
     "multiple sclerosis", "heart failure", "myocardial infarction", "angina", "arrhythmia",
     "fibrillation", "cardiomyopathy", "cirrhosis", "crohn's", "colitis", "psoriasis",
     "eczema", "dermatitis", "lupus", "gout", "osteoporosis", "hypothyroidism",
     "hyperthyroidism", "thyroiditis", "kidney disease", "renal failure", "sepsis",
     "infection", "fracture", "concussion", "pregnancy", "anorexia", "bulimia", "insomnia",
     "opioid", "alcoholism", "addiction", "substance", "disorder", "syndrome", "disease",
     "chronic", "acute", "malignant", "benign", "diabete", "krebs", "diabetes mellitus",
     "depresion", "ansiedad", "cancro", "tumore", "grippe", "asthme", "cardiopathy",
     "ischemic", "hyperlipidemia", "hypercholesterolemia", "gastritis", "ulcer",
     "appendicitis", "cystitis", "sinusitis", "otitis", "tonsillitis", "glaucoma",
     "cataract", "scoliosis", "celiac", "coeliac", "allergy", "allergic", "hiv-positive"]
)  # fmt: skip

# Common given names across English, German, French, Spanish, Italian, Indian, Chinese and
# Arabic-speaking populations (a sample, enough to recognise a column of first names).
FIRST_NAMES = _terms(
    """james john robert michael william david richard joseph thomas charles christopher daniel
    matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy
    ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin
    scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry
    tyler aaron jose adam nathan henry douglas zachary peter kyle noah ethan jeremy walter
    christian keith roger terry austin sean gerald carl harold dylan arthur lawrence jordan
    jesse bryan billy bruce gabriel joe logan alan juan albert willie elijah wayne randy vincent
    mason roy ralph bobby russell bradley philip eugene liam oliver lucas leo max ben tom sam
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
    sandra margaret ashley kimberly emily donna michelle carol amanda melissa deborah stephanie
    dorothy rebecca sharon laura cynthia amy kathleen angela shirley brenda emma anna pamela
    nicole samantha katherine christine helen debra rachel carolyn janet maria catherine
    heather diane olivia julie joyce victoria ruth virginia lauren kelly christina joan evelyn
    judith andrea hannah megan cheryl jacqueline martha madison teresa gloria sara janice ann
    kathryn abigail sophia frances jean alice judy isabella julia grace amber denise danielle
    marilyn beverly charlotte natalie theresa diana brittany doris kayla alexis lori marie
    mia ava chloe lily zoe ella ellie amelia harper aria luna
    hans peter klaus jurgen wolfgang michael thomas andreas stefan uwe frank markus lukas finn
    jonas leon paul felix elias maximilian moritz ursula monika petra sabine renate helga karin
    brigitte ingrid erika gisela susanne andrea claudia birgit heike lena lea hanna johanna
    jean pierre michel philippe alain nicolas francois jacques bernard eric christophe louis
    hugo arthur jules gabriel raphael nathalie isabelle sylvie catherine francoise martine
    christine valerie sandrine camille manon chloe ines jade louise
    antonio manuel francisco jose javier carlos miguel alejandro pablo sergio jorge luis
    alberto fernando diego pedro rafael ramon carmen josefa isabel dolores pilar teresa ana
    cristina marta lucia paula laura elena sofia valentina martina
    giuseppe giovanni francesco mario luigi roberto stefano marco andrea alessandro matteo
    lorenzo giulia chiara francesca sara alessia federica silvia giorgia
    mohammed muhammad ahmed ali omar hassan hussein ibrahim youssef mustafa khalid fatima aisha
    zainab maryam layla nour leila amira
    rahul amit raj vijay sanjay anil sunil arjun rohan priya anjali pooja neha sunita deepa
    kavita aarav vivaan aditya
    wei fang min jing li lei jun hui yan ming xin hao yu chen ying hua
    hiroshi takashi yuki sakura haruto yui kenji akira"""
)
