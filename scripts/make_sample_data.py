#!/usr/bin/env python3
"""Generate listener's bundled demo data set (listener/sample/).

Writes two files, deterministically (a fixed ``random.Random(SEED)``, no
network, no clock, standard library only), so running it twice gives
byte-identical output:

- ``listener/sample/x_posts.twarc2.jsonl``: about 700 fictional posts on X over
  two ISO weeks (2026-W46 and 2026-W47), written exactly as ``twarc2 search
  --archive`` writes them: one X API v2 response page per line, newest first.
- ``listener/sample/consultation_responses.csv``: responses to a fictional MHCLG
  consultation on ending section 21 evictions, and a few to a DfE one.

Every person and almost every organisation is fictional; only the public
bodies named in config/listener.yaml appear under their own handles.

Run ``python scripts/make_sample_data.py`` from the repository root. It prints a
summary (the counts listener/sample/README.md quotes); ``--check`` regenerates
in memory and fails if the files on disk differ.
"""
# ruff: noqa: E501

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import re
import sys
import unicodedata
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

SEED = 20261123
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "listener" / "sample"
POSTS_FILE = "x_posts.twarc2.jsonl"
CSV_FILE = "consultation_responses.csv"

START = datetime(2026, 11, 9, tzinfo=UTC)  # Monday of ISO week 2026-W46
END = datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)  # Sunday of 2026-W47
WEEK47 = datetime(2026, 11, 16, tzinfo=UTC)
RETRIEVED_AT = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)
TWARC_VERSION = "2.14.0"
TWITTER_EPOCH_MS = 1288834974657
PAGE_SIZE = 100
RETWEET_SHARE = 0.35
ELLIPSIS = "\u2026"
RSQUO = "\u2019"

# The three events the data is built around (times are UTC = UK time in November).
DHSC_STRIKE = datetime(2026, 11, 12, 7, 0, tzinfo=UTC)  # strike dates announced
DFT_STRIKE = datetime(2026, 11, 18, 11, 30, tzinfo=UTC)  # national rail strike announced
DESNZ_OFGEM = datetime(2026, 11, 17, 7, 0, tzinfo=UTC)  # standing charge rise confirmed

DEPARTMENTS = ("dhsc", "dfe", "desnz", "mhclg", "dft")

# A copy of the watches in config/listener.yaml (this script is stdlib only, so
# it does not parse YAML). The summary counts are computed with these.
WATCHES: dict[str, dict[str, list[str]]] = {
    "dhsc": {
        "hashtags": ["#NHS", "#SocialCare", "#JuniorDoctors", "#WaitingLists"],
        "keywords": ["waiting list", "GP appointment", "social care", "junior doctors"],
        "queries": [
            '("junior doctors" OR consultants OR nurses) (strike OR walkout OR "industrial action")',
            '(dentist OR dentistry OR "NHS dentist") -"tooth fairy"',
        ],
        "accounts": ["DHSCgovuk", "NHSEngland"],
    },
    "dfe": {
        "hashtags": ["#RAAC", "#SEND", "#FreeSchoolMeals", "#TeacherPay"],
        "keywords": ["free school meals", "teacher recruitment", "Ofsted"],
        "queries": [
            "(SEND OR EHCP) (tribunal OR waiting OR funding)",
            '"school" (RAAC OR "crumbling concrete")',
        ],
        "accounts": ["educationgovuk"],
    },
    "desnz": {
        "hashtags": ["#EnergyBills", "#PriceCap", "#NetZero", "#HeatPumps"],
        "keywords": ["price cap", "standing charge", "heat pump", "warm home discount"],
        "queries": ['("energy bills" OR "energy prices") (rise OR increase OR cap OR help)'],
        "accounts": ["energygovuk"],
    },
    "mhclg": {
        "hashtags": ["#Renters", "#RentersRights", "#Homelessness", "#Housing"],
        "keywords": ["no-fault eviction", "section 21", "social housing", "damp and mould"],
        "queries": ['(rent OR rents OR landlord) (eviction OR "section 21" OR increase)'],
        "accounts": ["mhclg"],
    },
    "dft": {
        "hashtags": ["#HS2", "#BusFares", "#Potholes", "#RailStrike"],
        "keywords": ["bus fare", "pothole", "rail strike", "train cancellations"],
        "queries": [
            '(train OR trains OR rail) (cancelled OR cancellations OR delays) -"model railway"'
        ],
        "accounts": ["transportgovuk"],
    },
}

# ---------------------------------------------------------------------------
# Accounts. Kinds: government, mp, journalist, charity, business, union, public.
# (kind, username, name, description, location, verified_type, followers, depts, site)
# ---------------------------------------------------------------------------

ORG_ACCOUNTS: list[tuple[str, str, str, str, str, str, int, tuple[str, ...], str]] = [
    (
        "government",
        "DHSCgovuk",
        "Department of Health and Social Care",
        "Official account of the Department of Health and Social Care. We support ministers in leading the nation's health and social care.",
        "London",
        "government",
        1_180_000,
        ("dhsc",),
        "https://www.gov.uk/government/organisations/department-of-health-and-social-care",
    ),
    (
        "government",
        "NHSEngland",
        "NHS England",
        "Official account of NHS England. For urgent medical help use NHS 111 online or call 111. In an emergency call 999.",
        "England",
        "government",
        612_000,
        ("dhsc",),
        "https://www.england.nhs.uk",
    ),
    (
        "government",
        "educationgovuk",
        "Department for Education",
        "Official account of the Department for Education. Children's services, schools, further education and skills.",
        "London",
        "government",
        498_000,
        ("dfe",),
        "https://www.gov.uk/government/organisations/department-for-education",
    ),
    (
        "government",
        "energygovuk",
        "Department for Energy Security and Net Zero",
        "Official account of the Department for Energy Security and Net Zero. Securing our energy supply and cutting bills.",
        "London",
        "government",
        121_000,
        ("desnz",),
        "https://www.gov.uk/government/organisations/department-for-energy-security-and-net-zero",
    ),
    (
        "government",
        "mhclg",
        "Ministry of Housing, Communities and Local Government",
        "Official account of the Ministry of Housing, Communities and Local Government.",
        "London",
        "government",
        356_000,
        ("mhclg",),
        "https://www.gov.uk/government/organisations/ministry-of-housing-communities-local-government",
    ),
    (
        "government",
        "transportgovuk",
        "Department for Transport",
        "Official account of the Department for Transport. Follow for news on roads, rail, buses, aviation and maritime.",
        "London",
        "government",
        402_000,
        ("dft",),
        "https://www.gov.uk/government/organisations/department-for-transport",
    ),
    (
        "mp",
        "HMarchbankMP",
        "Helen Marchbank MP",
        "Labour MP for Eastwick and Hollins. Member of the Health and Social Care Committee. Former district nurse.",
        "Eastwick",
        "blue",
        24_300,
        ("dhsc",),
        "https://helenmarchbank.example.org.uk",
    ),
    (
        "mp",
        "TomAshdownMP",
        "Tom Ashdown MP",
        "Conservative MP for Caddon Vale. Shadow transport team. Commuter, cyclist, dad of three.",
        "Caddon Vale",
        "blue",
        18_900,
        ("dft",),
        "https://tomashdown.example.org.uk",
    ),
    (
        "mp",
        "PriyaRamaswell",
        "Priya Ramaswell MP",
        "Liberal Democrat MP for North Fellside. Education spokesperson. Mum to a SEND teenager.",
        "North Fellside",
        "blue",
        15_200,
        ("dfe",),
        "https://priyaramaswell.example.org.uk",
    ),
    (
        "mp",
        "PryceEvansMP",
        "Gareth Pryce-Evans MP",
        "Plaid Cymru MP for Ystrad Teifi. Dros Gymru. Housing, rural transport and fair energy bills.",
        "Ystrad Teifi",
        "blue",
        9_800,
        ("mhclg", "dft"),
        "https://pryceevans.example.cymru",
    ),
    (
        "mp",
        "NaomiOkonjoMP",
        "Naomi Okonjo MP",
        "Labour MP for Millbrook Central. Housing and renters' champion. Views my own.",
        "Millbrook",
        "blue",
        31_600,
        ("mhclg",),
        "https://naomiokonjo.example.org.uk",
    ),
    (
        "mp",
        "CallumBairdSNP",
        "Callum Baird MP",
        "SNP MP for Glenross and Strathairlie. Energy spokesperson. Fuel poverty campaigner.",
        "Glenross",
        "blue",
        12_700,
        ("desnz",),
        "https://callumbaird.example.scot",
    ),
    (
        "mp",
        "ImranQadirMP",
        "Imran Qadir MP",
        "Labour MP for Ashworth South. Working for you in Parliament. Casework: contact my office via the link.",
        "Ashworth",
        "blue",
        21_400,
        ("dhsc", "dfe"),
        "https://imranqadir.example.org.uk",
    ),
    (
        "mp",
        "FionaLatchford",
        "Fiona Latchford MP",
        "Conservative MP for Wexcombe. Rural affairs, energy and housing. Proud to represent Wexcombe.",
        "Wexcombe",
        "blue",
        16_100,
        ("desnz", "mhclg"),
        "https://fionalatchford.example.org.uk",
    ),
    (
        "mp",
        "RosaPembertonMP",
        "Rosa Pemberton MP",
        "Green Party MP for Harbour Cross. Warm homes, clean energy, fair transport.",
        "Harbour Cross",
        "blue",
        27_800,
        ("desnz", "dft"),
        "https://rosapemberton.example.org.uk",
    ),
    (
        "mp",
        "DaveKershawMP",
        "Dave Kershaw MP",
        "Independent MP for Thornley Moor. Roads, buses and rural services. No party whip, just Thornley Moor.",
        "Thornley Moor",
        "none",
        6_400,
        ("dft",),
        "https://davekershaw.example.org.uk",
    ),
    (
        "journalist",
        "AnnaWhitlock",
        "Anna Whitlock",
        "Health correspondent at The Ledger. Waiting lists, workforce, social care. DMs open for tips.",
        "London",
        "blue",
        48_200,
        ("dhsc",),
        "https://www.theledger.example/news",
    ),
    (
        "journalist",
        "MarcusObiNews",
        "Marcus Obi",
        "Transport editor, Northern Courier. Trains, buses, roads. Usually on a delayed train.",
        "Leeds",
        "blue",
        22_600,
        ("dft",),
        "https://www.northerncourier.example/news",
    ),
    (
        "journalist",
        "EllieFenwick",
        "Ellie Fenwick",
        "Education correspondent, Westminster Wire. Schools, SEND, funding. Ex-teacher.",
        "London",
        "blue",
        19_300,
        ("dfe",),
        "https://www.westminsterwire.example/news",
    ),
    (
        "journalist",
        "RajBhandari_",
        "Raj Bhandari",
        "Energy and climate reporter at The Sentinel. Bills, grids, heat pumps.",
        "Manchester",
        "blue",
        15_800,
        ("desnz",),
        "https://www.thesentinel.example/news",
    ),
    (
        "journalist",
        "SophieCarrow",
        "Sophie Carrow",
        "Housing correspondent, Capital Evening Post. Renters, homelessness, planning.",
        "London",
        "blue",
        26_900,
        ("mhclg",),
        "https://www.capitaleveningpost.example/news",
    ),
    (
        "journalist",
        "JamieLindqvist",
        "Jamie Lindqvist",
        "Political editor, Broadside Radio. Westminster, Whitehall and everything in between.",
        "Westminster",
        "blue",
        104_000,
        ("dhsc", "dft", "mhclg"),
        "https://www.broadsideradio.example/news",
    ),
    (
        "journalist",
        "KateOduya",
        "Kate Oduya",
        "Social affairs editor, Daily Beacon. Poverty, care, housing and the cost of living.",
        "Birmingham",
        "blue",
        37_500,
        ("dhsc", "desnz", "mhclg"),
        "https://www.dailybeacon.example/news",
    ),
    (
        "journalist",
        "LiamCarmody",
        "Liam Carmody",
        "Scotland and energy correspondent, The Sentinel. Formerly local radio.",
        "Glasgow",
        "blue",
        11_200,
        ("desnz",),
        "https://www.thesentinel.example/news",
    ),
    (
        "journalist",
        "HannahPryorData",
        "Hannah Pryor",
        "Data journalist at The Ledger. Charts about waiting lists, rents and trains. Spreadsheets are journalism.",
        "Bristol",
        "none",
        8_900,
        ("dhsc", "mhclg", "dft"),
        "https://www.theledger.example/data",
    ),
    (
        "journalist",
        "OwenTudorRees",
        "Owen Tudor-Rees",
        "Wales reporter, Cambrian Herald. Gohebydd. English / Cymraeg.",
        "Cardiff",
        "blue",
        7_600,
        ("dft", "mhclg", "dfe"),
        "https://www.cambrianherald.example/news",
    ),
    (
        "charity",
        "PatientsFirstUK",
        "Patients First Alliance",
        "Registered charity 1187342. The independent voice of patients on waiting lists, access and care.",
        "London",
        "none",
        18_700,
        ("dhsc",),
        "https://patientsfirst.example.org.uk",
    ),
    (
        "charity",
        "CarersTogether",
        "Carers Together",
        "Registered charity 1164409. Supporting the UK's unpaid carers. Helpline Mon-Fri 9-5.",
        "Sheffield",
        "none",
        23_100,
        ("dhsc",),
        "https://carerstogether.example.org.uk",
    ),
    (
        "charity",
        "SENDFamiliesNet",
        "SEND Families Network",
        "Registered charity 1192281. By and for families of children with special educational needs and disabilities.",
        "Nottingham",
        "none",
        14_600,
        ("dfe",),
        "https://sendfamilies.example.org.uk",
    ),
    (
        "charity",
        "FullPlatesUK",
        "Full Plates Campaign",
        "Registered charity 1201178. No child should be hungry at school. Campaigning for free school meals for all children in poverty.",
        "Manchester",
        "none",
        9_300,
        ("dfe",),
        "https://fullplates.example.org.uk",
    ),
    (
        "charity",
        "FairFuelUK",
        "Fair Fuel Alliance",
        "Registered charity 1156620. Fighting fuel poverty and unfair energy charges since 2011.",
        "Newcastle upon Tyne",
        "none",
        12_800,
        ("desnz",),
        "https://fairfuel.example.org.uk",
    ),
    (
        "charity",
        "WarmHomesCo",
        "Warm Homes Coalition",
        "Registered charity 1178890. A coalition of charities, councils and installers for warm, efficient, affordable homes.",
        "Bristol",
        "none",
        6_900,
        ("desnz", "mhclg"),
        "https://warmhomes.example.org.uk",
    ),
    (
        "charity",
        "HearthstoneHT",
        "Hearthstone Housing Trust",
        "Registered charity 1149903. Ending homelessness, one home at a time. Need help tonight? See link.",
        "Birmingham",
        "none",
        31_400,
        ("mhclg",),
        "https://hearthstone.example.org.uk",
    ),
    (
        "charity",
        "RentersVoiceUK",
        "Renters' Voice",
        "Registered charity 1183347. Free advice and campaigns for private renters in England.",
        "London",
        "none",
        27_200,
        ("mhclg",),
        "https://rentersvoice.example.org.uk",
    ),
    (
        "charity",
        "CartrefAction",
        "Cartref Cymru Action",
        "Elusen gofrestredig / Registered charity 1170021. Homes and housing justice for Wales.",
        "Swansea",
        "none",
        8_100,
        ("mhclg",),
        "https://cartrefaction.example.cymru",
    ),
    (
        "charity",
        "CommuterWatch",
        "Commuter Watch",
        "Registered charity 1179934. The independent passenger champion. Tell us about your journey.",
        "Reading",
        "none",
        10_500,
        ("dft",),
        "https://commuterwatch.example.org.uk",
    ),
    (
        "business",
        "BrightwattHelp",
        "Brightwatt Energy Help",
        "Here to help Brightwatt Energy customers 8am-8pm, Mon-Sat. We'll never ask for your password.",
        "Warrington",
        "business",
        41_800,
        ("desnz",),
        "https://www.brightwatt.example.com",
    ),
    (
        "business",
        "NorthgridEnergy",
        "Northgrid Energy",
        "Gas and electricity for 2 million homes across the UK. Customer support via DM 8am-6pm.",
        "Leeds",
        "business",
        28_300,
        ("desnz",),
        "https://www.northgrid.example.com",
    ),
    (
        "business",
        "VerdantHeat",
        "Verdant Heat Pumps",
        "MCS certified heat pump installers covering the Midlands and North. Low carbon heating made simple.",
        "Derby",
        "business",
        4_200,
        ("desnz",),
        "https://www.verdantheat.example.com",
    ),
    (
        "business",
        "MeridianRail",
        "Meridian Rail",
        "Official account of Meridian Rail. We're here to help 7am-10pm every day. For live updates use our app.",
        "Birmingham",
        "business",
        156_000,
        ("dft",),
        "https://www.meridianrail.example.com",
    ),
    (
        "business",
        "SouthvaleRail",
        "Southvale Railway",
        "Live travel help for Southvale Railway customers, 6am-midnight. Tag us with your question.",
        "Brighton",
        "business",
        98_400,
        ("dft",),
        "https://www.southvalerail.example.com",
    ),
    (
        "business",
        "PennineTrains",
        "Pennine Trains",
        "Connecting the towns and cities of the North. Travel updates and customer help.",
        "Manchester",
        "business",
        71_300,
        ("dft",),
        "https://www.penninetrains.example.com",
    ),
    (
        "business",
        "CitylineBuses",
        "Cityline Buses",
        "Buses across Millbrook and the Vale. Every bus is a £3 bus. Service updates 6am-11pm.",
        "Millbrook",
        "business",
        12_900,
        ("dft",),
        "https://www.citylinebuses.example.com",
    ),
    (
        "business",
        "HomesteadLets",
        "Homestead Lettings",
        "Independent letting and property management agents. Fair fees, quick repairs, no nonsense.",
        "Leicester",
        "business",
        2_300,
        ("mhclg",),
        "https://www.homesteadlettings.example.co.uk",
    ),
    (
        "business",
        "LandlordsForum",
        "National Landlords' Forum",
        "The membership body for private landlords in England and Wales. Training, advice and representation.",
        "London",
        "business",
        19_800,
        ("mhclg",),
        "https://www.landlordsforum.example.org.uk",
    ),
    (
        "union",
        "DoctorsUnionUK",
        "Doctors' Union",
        "The trade union for hospital and resident doctors in the UK. Fair pay, safe staffing, patient safety.",
        "London",
        "none",
        87_600,
        ("dhsc",),
        "https://doctorsunion.example.org.uk",
    ),
    (
        "union",
        "NursesUnitedUK",
        "Nurses United",
        "Trade union representing 300,000 nurses, midwives and healthcare assistants.",
        "London",
        "none",
        64_300,
        ("dhsc",),
        "https://nursesunited.example.org.uk",
    ),
    (
        "union",
        "NTAunion",
        "National Teachers' Alliance",
        "The trade union for teachers and school leaders. Fund our schools. Value our teachers.",
        "London",
        "none",
        52_700,
        ("dfe",),
        "https://nta.example.org.uk",
    ),
    (
        "union",
        "UnitedRailWkrs",
        "United Rail Workers",
        "The trade union for rail, bus and transport workers. Safe railways, fair pay.",
        "London",
        "none",
        43_900,
        ("dft",),
        "https://unitedrailworkers.example.org.uk",
    ),
]

FIRST_NAMES = [
    "Sarah",
    "James",
    "Emma",
    "Dave",
    "Chloe",
    "Tom",
    "Aisha",
    "Ryan",
    "Megan",
    "Liam",
    "Sophie",
    "Gary",
    "Nadia",
    "Callum",
    "Jess",
    "Mark",
    "Hannah",
    "Kieran",
    "Zara",
    "Paul",
    "Lucy",
    "Darren",
    "Amira",
    "Jack",
    "Rebecca",
    "Stuart",
    "Ellie",
    "Craig",
    "Fatima",
    "Ben",
    "Rachel",
    "Lee",
    "Gemma",
    "Oliver",
    "Kirsty",
    "Adam",
    "Bethan",
    "Rhys",
    "Siobhan",
    "Marcus",
    "Leanne",
    "Dan",
    "Joanne",
    "Harry",
    "Yasmin",
    "Neil",
    "Charlotte",
    "Sean",
    "Priya",
    "Karen",
    "Mo",
    "Tasha",
    "Ollie",
    "Jade",
    "Iain",
    "Kelly",
    "Hamza",
    "Shona",
    "Wayne",
    "Niamh",
    "Bev",
    "Colin",
    "Dawn",
    "Femi",
    "Grace",
    "Hollie",
    "Imogen",
    "Josh",
    "Keith",
    "Lorraine",
]
SURNAMES = [
    "Thompson",
    "Walsh",
    "Patel",
    "Hughes",
    "Clarke",
    "Davies",
    "Khan",
    "Robinson",
    "Wright",
    "Evans",
    "Begum",
    "Turner",
    "Morgan",
    "Kelly",
    "Harrison",
    "Ahmed",
    "Cooper",
    "Ward",
    "Bell",
    "Hussain",
    "Fletcher",
    "Murphy",
    "Lloyd",
    "Shaw",
    "Mitchell",
    "Bailey",
    "Jenkins",
    "Nolan",
    "Fraser",
    "Dunn",
    "Armstrong",
    "Barker",
    "Holt",
    "Pearce",
    "Quinn",
    "Rowe",
    "Sutton",
    "Webb",
    "Yates",
    "Price",
    "McLeod",
    "Lowe",
    "Atkinson",
    "Booth",
    "Chapman",
    "Doyle",
    "Ellis",
    "Gill",
    "Hale",
    "Irwin",
    "Okafor",
    "Mensah",
    "Kowalczyk",
    "Adeyemi",
]
# Combinations of the name lists above that belong to well-known people.
FAMOUS_NAMES = {
    "Adam Price",
    "Mark Hughes",
    "Paul Robinson",
    "Ben Davies",
    "Oliver Holt",
    "Lee Evans",
    "Colin Murphy",
    "Mark Webb",
    "Dan Walker",
    "Harry Kelly",
    "Gary Kelly",
    "Ryan Shaw",
    "Jack Wright",
    "Kelly Holmes",
    "Rachel Walsh",
    "Sean Murphy",
    "Iain Dunn",
}
PLACES = [
    "Leeds",
    "Manchester",
    "Bristol",
    "Cardiff",
    "Swansea",
    "Birmingham",
    "Newcastle upon Tyne",
    "Sheffield",
    "Norwich",
    "Plymouth",
    "Glasgow",
    "Edinburgh",
    "Belfast",
    "Liverpool",
    "Nottingham",
    "Leicester",
    "Hull",
    "Brighton",
    "York",
    "Derby",
    "Stoke-on-Trent",
    "Cornwall",
    "Kent",
    "Essex",
    "North Wales",
    "Cumbria",
    "London",
    "South London",
    "Yorkshire",
    "Lancashire",
    "Teesside",
    "Wirral",
    "Milton Keynes",
    "Exeter",
    "Sunderland",
    "Dundee",
    "Wolverhampton",
    "Bradford",
    "Coventry",
    "Southampton",
]
# (bio, departments this voice mostly talks about, handle stem or "")
PERSONAS: list[tuple[str, tuple[str, ...], str]] = [
    ("Mum of two. Tea, chaos and the school run.", ("dfe", "desnz"), "mum"),
    ("Nurse. Tired. Views my own.", ("dhsc",), "nurse"),
    ("Retired teacher, keen gardener, proud grandad.", ("dfe",), ""),
    ("Primary teacher \U0001f34e KS2. Opinions my own, obviously.", ("dfe",), "teach"),
    ("SEND parent. Autism mum. Fighting for my boy \U0001f499", ("dfe",), "send"),
    ("Commuter. Long-suffering. Season ticket holder since 2009.", ("dft",), "commuter"),
    ("Cyclist \U0001f6b2 | professional pothole dodger", ("dft",), "cycle"),
    ("Renter in my 30s. Will probably never own a house.", ("mhclg",), "renter"),
    ("Small landlord, two properties. Fair rents, quick repairs.", ("mhclg",), "landlord"),
    ("Full-time carer for my mum. Knackered but here.", ("dhsc",), "carer"),
    ("Pensioner. Still got plenty of opinions.", ("desnz", "dhsc"), ""),
    ("Heat pump owner, insulation bore \U0001f30d", ("desnz",), "green"),
    ("Student. Broke. Caffeinated.", ("mhclg", "dft"), ""),
    ("Football, family, food. In that order (don't tell the wife).", (), ""),
    ("Dad. Engineer. Occasionally funny.", ("desnz", "dft"), "dad"),
    ("Paramedic \U0001f691 night shifts and strong coffee", ("dhsc",), "medic"),
    ("Bus driver for 20 years. Seen it all.", ("dft",), ""),
    ("Small business owner \u2615 independent cafe", ("desnz", "dft"), ""),
    ("Housing officer. All views my own.", ("mhclg",), ""),
    ("Secondary science teacher. Year 9 survivor.", ("dfe",), "sci"),
    ("Retired GP. Gardening, grandchildren, grumbling.", ("dhsc",), ""),
    ("Single parent, two jobs, no time.", ("mhclg", "desnz", "dfe"), ""),
    ("Disabled and proud \u267f wheelchair user, cat owner.", ("dhsc", "desnz"), ""),
    ("Dog walker, crossword doer, radio listener.", (), ""),
    ("", (), ""),
    ("NHS physio. Runner. Bad at both on Mondays.", ("dhsc",), "physio"),
    ("Electrician \u26a1 solar panels and EV chargers", ("desnz",), "sparky"),
    ("Train geek and grumpy commuter \U0001f686", ("dft",), "train"),
    ("Local history nerd. Allotment. Cats.", (), ""),
    ("Care worker. Underpaid and proud of it.", ("dhsc",), ""),
    ("First-time buyer (still trying). Renting in Zone 4.", ("mhclg",), ""),
    ("Teaching assistant and SENCo-in-training.", ("dfe",), ""),
    ("Farmer's daughter. Rural roads survivor.", ("dft", "desnz"), ""),
    ("", (), ""),
]
NICK_STEMS = {
    "mum": ["LeedsMum", "MumOfTwoUK", "busymum", "MumOnTheRun"],
    "nurse": ["NurseJo", "ward7nurse", "TiredNurseUK"],
    "teach": ["MissTeachesKS2", "MrB_teaches", "TeacherTom"],
    "send": ["SENDmumLife", "AutismDadUK", "SENDwarrior"],
    "commuter": ["GrumpyCommuter", "the0712", "LateAgainUK"],
    "cycle": ["PotholeDodger", "CommuteByBike", "SaddleSore"],
    "renter": ["GenRentRach", "RenterForever", "MouldyFlat"],
    "landlord": ["SmallLandlord", "FairLandlordUK"],
    "carer": ["CaringForMum", "UnpaidCarerUK"],
    "green": ["HeatPumpHenry", "InsulateFirst"],
    "dad": ["DadJokesDan", "EngineerDad"],
    "medic": ["NightShiftPara", "Blues_and_Twos"],
    "physio": ["PhysioPete"],
    "sparky": ["SolarSparky"],
    "train": ["DelayRepayKing", "PlatformFour"],
    "sci": ["MrsScience9", "BunsenBurner"],
}
# Non-English voices: (name, username, location, lang)
LANG_USERS = [
    ("Gwenllian ap Rhys", "gwenllian_ar", "Caerdydd / Cardiff", "cy"),
    ("Dafydd Llwyd", "dafyddllwyd82", "Bangor", "cy"),
    ("Elin Prydderch", "elinprydd", "Aberystwyth", "cy"),
    ("Iolo Meirion", "IoloM_", "Caernarfon", "cy"),
    ("Tomasz Wi\u015bniewski", "tomek_wis", "Peterborough", "pl"),
    ("Agnieszka Nowak", "aga_nowak_uk", "Slough", "pl"),
    ("\u0639\u0627\u0626\u0634\u06c1 \u06a9 | Ayesha K", "ayesha_k_brad", "Bradford", "ur"),
    ("Imtiaz Hussain", "imtiaz_h61", "Birmingham", "ur"),
    ("Luc\u00eda Romero", "luciaromero_uk", "London", "es"),
    ("Javier Ortega", "javi_ortega", "Edinburgh", "es"),
]
LANG_BIOS = {
    "cy": "Cymraes falch. Darllen, cerdded, paned. Proud Welsh speaker.",
    "pl": "Polka w UK od 2008. Praca, dom, dzieci.",
    "ur": "\u0628\u0631\u06cc\u0688\u0641\u0648\u0631\u0688 \u0633\u06d2 \u06d4 Family, food, cricket.",
    "es": "Espa\u00f1ol/a en Reino Unido. Enfermer\u00eda, caf\u00e9 y lluvia.",
}

# ---------------------------------------------------------------------------
# Text pools. Every post is written by hand; "{url}" becomes a t.co link.
# ---------------------------------------------------------------------------

PUBLIC_POSTS: dict[str, list[str]] = {
    "dhsc": [
        "Rang the GP at 8am on the dot. 47th in the queue. By the time I got through every GP appointment for the day was gone. Same again tomorrow I suppose.",
        "Mum has been on the waiting list for a hip replacement for 14 months now. She can barely get up the stairs. #WaitingLists",
        "Spent nine hours in A&E with my dad last night. The staff were incredible, the system around them is broken. #NHS",
        "Honestly the nurses on ward 7 at our local hospital were angels this week \u2764\ufe0f Thank you #NHS",
        "How is it acceptable that a 4 year old waits 18 months for a dentist? No NHS dentist taking new patients within 40 miles of us.",
        "The social care system is held together by unpaid carers and goodwill. Something has to give.",
        "My nan's care home fees went up again. \u00a31,400 a week. Where exactly is this money going? #SocialCare",
        "Got a GP appointment within two days and the doctor actually listened. Credit where it's due \U0001f44f",
        "Waiting list figures out tomorrow. Place your bets on whether they've gone up again \U0001f644",
        "Support the junior doctors. They're not asking for the moon, they're asking to be paid properly for keeping us alive. #JuniorDoctors",
        "Physio referral came through in 3 weeks. Didn't expect that at all, genuinely impressed. #NHS",
        "Carer's Allowance works out at barely \u00a32.40 an hour for 35 hours of care a week. Social care reform can't come soon enough.",
        "Ambulance took 6 hours to reach my neighbour after a fall. She's 87. Lay on the kitchen floor the whole time. #NHS",
        "Pharmacy First has honestly been great, got antibiotics for my son's ear infection without needing a GP appointment.",
        "Every winter we're told the NHS is in crisis like it's a surprise. It's November. It happens every year. Plan for it. #NHS",
        "Waiting list for an adult ADHD assessment round here is 3 years. Three. Years.",
        "Why can't I book a GP appointment online more than a week ahead? Who designed this?",
        "Dentist told me I'm no longer registered because I hadn't been in 2 years. I hadn't been in because there were no appointments \U0001f926\u200d\u2640\ufe0f",
        "Respect to the paramedics working through the night in this weather \U0001f691\u2764\ufe0f #NHS",
        "My dad was discharged after 3 weeks stuck in hospital waiting for a social care package. Bed blocking is not the patients' fault.",
        "Another day, another corridor care story. Patients on trolleys for 30 hours isn't healthcare, it's rationing. #NHS",
        "Mental health waiting list for my 15 year old is 11 months. CAMHS told us to go to A&E if things get worse. That's the plan?",
        "Good to see the community diagnostic centre cutting the waiting list for scans in our area. More of this please.",
        "Consultants balloting for industrial action again? Pay them. Fix it. Move on.",
        "Nurses are leaving for Australia because they can't afford rent here. Think about that for a second. #NHS",
        "Three weeks for a GP appointment, six months for a scan, a year for the op. And they wonder why people pay to go private.",
        "Anyone else's GP surgery moved to 'total triage'? You fill in a form and wait for a call that never comes. #NHS",
        "Home carers earning less than supermarket staff while doing intimate personal care for our elderly. Social care is a national scandal.",
        "Grateful to the midwives at our local maternity unit. Understaffed, exhausted and still so kind \U0001f495 #NHS",
        "Genuine question: does anyone actually know what the plan is for social care? Every government promises one. Nothing happens.",
        "Hospital parking is \u00a34.50 an hour. Visiting my husband every day for a month cost more than our weekly food shop. #NHS",
        "Had my cataract done in under 4 months. Quick, professional, kind. This is what good looks like \U0001f44d #WaitingLists",
        "Junior doctors working 13 hour shifts and people still call them greedy? Try it for a week.",
        "Our village surgery is closing. Nearest GP now 11 miles away with one bus a day. How is this ok? #NHS",
        "Waiting list for a wheelchair assessment: 9 months. My son will have outgrown the chair by then.",
        "Apparently the waiting list fell slightly last month. I'll believe it when my mum gets her appointment.",
        "NHS 111 said go to A&E, A&E said see your GP, GP said call 111. Round and round we go \U0001f504 #NHS",
        "Carers are the invisible workforce of social care. We need respite, not just a thank you once a year.",
        "Brilliant care from the stroke team this week. Fast, calm and they explained everything. Proud of our #NHS",
        "Three dentists rang, three said the same: private only. \u00a3280 for a filling. My tooth will have to wait.",
    ],
    "dfe": [
        "Our school still has RAAC in three classrooms. Kids have been taught in portakabins for over a year. #RAAC",
        "Third EHCP tribunal in two years. The council lost every time and still won't name the right school. Exhausted. #SEND",
        "Free school meals should be universal. No child learns on an empty stomach. #FreeSchoolMeals",
        "Teacher here. I spend about \u00a330 a month on snacks for kids who come in hungry. The free school meals threshold is far too low.",
        "Shout out to my son's teacher who stays late every Tuesday to run chess club for free \U0001f44f Pay teachers properly. #TeacherPay",
        "Ofsted grades have gone but the stress hasn't. Our head hasn't slept properly in weeks.",
        "The EHCP was due in 20 weeks. We're on week 41. My daughter is out of school and nobody seems to care. #SEND",
        "Teacher recruitment is a crisis. Our school has had a maths vacancy since September with zero applicants.",
        "A pay rise is only a pay rise if it's funded. Schools can't find it from budgets already cut to the bone. #TeacherPay",
        "Why does the SEND system make parents fight for everything? Every single thing. #SEND",
        "Really pleased our school has started a free breakfast club alongside free school meals. Small thing, massive difference \U0001f60a",
        "Ofsted turned up on the last day before half term. Of course they did.",
        "My nephew's school closed two blocks because of crumbling concrete and they're still waiting on money for repairs. This school year is a write-off.",
        "SEND funding is the single biggest risk to council finances right now. The high needs deficits are eye-watering.",
        "Newly qualified teachers leaving after 2 years is a symptom. Workload, behaviour, pay. Teacher recruitment won't fix itself.",
        "Good news at last: our EHCP came through on time and the school has been fantastic. It can work! #SEND",
        "If your child is eligible for free school meals, apply even if they take packed lunches. The school gets extra funding for every eligible child.",
        "The number of kids waiting for a special school place in our county is over 600. Six hundred. #SEND",
        "Teachers got a pay rise, then the school cut two TAs to afford it. That's not a pay rise, that's robbing Peter. #TeacherPay",
        "Is there any evidence that Ofsted report cards are better than the old grades? Genuine question.",
        "My daughter's primary has had RAAC props in the hall for 18 months. Assemblies in the dinner hall, PE outside in November. #RAAC",
        "Shocking how many families just above the free school meals cut-off are struggling. The threshold hasn't moved in years.",
        "Spent the evening filling in another EHCP form. 42 pages. Written by someone who has never met a disabled child, I swear. #SEND",
        "Teacher recruitment targets missed again for physics, computing and languages. Who's going to teach our kids science?",
        "Love that our school has a proper SEND base now. My son actually wants to go in the mornings \u2764\ufe0f #SEND",
        "Lunchtime at our primary: kids on free school meals get a hot meal, kids whose parents earn \u00a350 too much get nothing. Madness.",
        "What's the point of a pay award announcement if schools have to fund it themselves? #TeacherPay",
        "Ofsted said 'good', parents say 'good', kids are happy. Then the budget letter arrives. Three staff to go.",
        "We won our SEND tribunal today. 14 months of fighting. Cried in the car park. #SEND",
        "RAAC survey finished, school declared 'safe', but the roof is still leaking into Year 4. Capital funding please. #RAAC",
        "Twenty-six years teaching. Never seen recruitment this bad. Supply costs are killing our budget. #TeacherPay",
        "The holiday food programme was brilliant for our kids this summer. Please keep it going. #FreeSchoolMeals",
        "The council has a legal duty to issue an EHCP within 20 weeks. Ours averages 38. Where's the accountability? #SEND",
        "Teachers' unions balloting again. Honestly can't blame them. #TeacherPay",
        "Ofsted inspectors should spend a week teaching Year 9 last thing on a Friday before they judge anyone.",
    ],
    "desnz": [
        "Energy bills up again in January. Thanks Ofgem. Really feeling the love \U0001f643 #EnergyBills",
        "Had a heat pump fitted in March. Warm house, bills slightly down. Install was a faff but I'd do it again. #HeatPumps",
        "How is the price cap a 'cap' if it goes up every three months?",
        "Pensioners choosing between heating and eating again this winter. The warm home discount needs to reach more people.",
        "Just submitted a meter reading and my direct debit has gone up \u00a340 a month. Nobody can explain why. #EnergyBills",
        "Heat pump grant of \u00a37,500 is generous but the installer waiting time near me is 6 months. #HeatPumps",
        "Net zero shouldn't mean poorer families paying more. Put the levies on general taxation, not on bills. #NetZero",
        "Smart meter went 'dumb' when I switched supplier. Third engineer visit booked. #EnergyBills",
        "Did anyone actually get the warm home discount this year? Our application vanished into the void.",
        "Love seeing solar panels on every new house on our estate \u2600\ufe0f More please. #NetZero",
        "Energy prices are falling on the wholesale market but our bills only ever go one way. #PriceCap",
        "Heat pump engineer came round. Said our 1930s semi would need new radiators and insulation first. \u00a318k. Not happening.",
        "Prepayment meter customers pay more for less. How is that still allowed in 2026? #EnergyBills",
        "The price cap announcement is next week. Bracing myself.",
        "Our council insulated the whole street through the warm homes scheme. Bills down by a third. This is what works \U0001f44d #NetZero",
        "Every political party promises lower energy bills. Still waiting. #EnergyBills",
        "Is it worth getting a heat pump if you're on a standard tariff? Asking for my entire WhatsApp group \U0001f605",
        "Turned the heating on for the first time this year. Immediately regretted looking at the smart meter display. #EnergyBills",
        "Offshore wind is the cheapest power we've got. Build more of it. #NetZero",
        "Our MP says net zero is driving up energy bills. Gas prices did that, not wind turbines. #NetZero",
        "Energy bills help for families with disabled kids is non-existent. Ventilators, hoists, charging wheelchairs all cost money.",
        "Nice to see the price cap actually dip for once. Small mercies. #PriceCap",
        "My parents' heat pump keeps their bungalow toasty and they're in their 80s. If they can adapt, anyone can \u2764\ufe0f #HeatPumps",
        "Supplier owes me \u00a3312 in credit and won't refund it. Is this even legal? #EnergyBills",
        "The warm home discount should be automatic for anyone on pension credit. Why make people apply?",
        "Mad that we pay green levies on electricity but not gas, then wonder why nobody switches to a heat pump.",
        "Tell me again why we export North Sea gas and then buy it back at global prices? #EnergyBills",
        "Fuel poverty in my town is 1 in 5 households. Price cap or no price cap, people are cold.",
        "Insulation first, heat pumps second. Otherwise you're heating the sky. #NetZero",
        "We got the warm home discount automatically this year for the first time. \u00a3150 off. Thank you to whoever fixed that.",
    ],
    "mhclg": [
        "Got a section 21 notice this morning. Four years, never late with rent once. Landlord wants to sell. Where do we go? #Renters",
        "Damp and mould in my son's bedroom for the third winter running. Landlord says 'open a window'. It's November. #Renters",
        "The no-fault eviction ban can't come soon enough. Nobody should lose their home for asking for a repair. #RentersRights",
        "Landlord here. I've never evicted anyone, but if you take away section 21 and the courts take a year, small landlords will sell up.",
        "Rent increase of \u00a3250 a month. Same flat, same mould, same broken boiler. #Renters",
        "The social housing register in our borough has a 14 year wait. Fourteen. My kids will be adults. #Housing",
        "Sofa surfing at 34 with a full time job. This is what the housing crisis looks like now. #Homelessness",
        "Our new housing association flat is lovely. Warm, dry, and the rent is fair. Waited 6 years but we got there \u2764\ufe0f #Housing",
        "Letting agent wants 6 weeks' rent upfront plus a guarantor earning 36 times the rent. Who has that? #Renters",
        "The Renters' Rights changes are a start. Enforcement is what matters though. Councils need money to actually do it. #RentersRights",
        "Awaab's Law needs to apply to private rentals now, not in five years. Damp and mould kills.",
        "Saw someone sleeping in the bus shelter on my road again. It's -2 tonight. #Homelessness",
        "Rents in this city are up 11% in a year. Wages aren't. Something has to give. #Housing",
        "Landlord served a section 21 two weeks after I reported the leaking roof. Retaliatory eviction in all but name.",
        "Good landlords exist. Mine fixed the boiler within a day and hasn't put the rent up in 3 years. Thank you, Mr P \U0001f44d #Renters",
        "Planning permission granted for 400 homes near us and exactly zero are social housing. Brilliant.",
        "Temporary accommodation for my family is one room in a B&B, 40 minutes from the kids' school. 8 months now. #Homelessness",
        "First-time buyer at 41. Deposit saved, mortgage approved, still can't find anything under \u00a3300k. #Housing",
        "Council says they can't help until the bailiffs actually turn up. Section 21 deadline is Friday. #Renters",
        "Landlords aren't villains. Most of us have one property and a mortgage that's doubled. The rent increase isn't greed, it's maths.",
        "The damp and mould in our flat is making my asthma worse. Housing association keeps sending a man with a bleach spray.",
        "Why are there over a million households on social housing registers while we keep selling off council homes? #Housing",
        "Helping my mum move out of a mouldy private rental into sheltered housing. Took 2 years. Thank you to the housing officer who never gave up \U0001f64f #Housing",
        "Every single landlord on our street has put the rent up this year. Rent increase letters arriving like Christmas cards. #Renters",
        "Renters' Rights rules start soon and my landlord is already trying to get me out before they kick in. #RentersRights",
        "Rough sleeping up again in our town centre. Outreach workers are doing incredible work with nothing. #Homelessness",
        "Rent is 60% of my take-home pay. I'm a nurse. #Renters",
        "Section 21 abolition is good. Making sure courts can handle possession cases quickly is also good. Both can be true.",
        "Student house has had no heating for 3 weeks. Letting agent not answering emails. #Renters",
        "Delighted to see our town's first new council homes in 30 years finally finished \U0001f3e0 #Housing",
        "Being a renter in your 40s means never painting a wall, never getting a dog, and moving every two years. #RentersRights",
        "The no-fault eviction ban is the single biggest change for renters in a generation. Don't water it down.",
        "Private landlord wants to put the rent up by 20%. Is that even allowed? #Renters",
        "Housing benefit rates frozen while rents rise. The maths doesn't work for anyone on low pay. #Housing",
    ],
    "dft": [
        "Train cancelled. Next one cancelled. Replacement bus 'imminent' for 50 minutes. Love a Monday \U0001f686\U0001f644",
        "Pothole on the A-road near us has now swallowed three wheels this month. Reported it in August. #Potholes",
        "\u00a33 bus fare cap staying is genuinely good news for people like me who don't drive. #BusFares",
        "Another day, another round of train cancellations. I leave an hour early just in case now.",
        "HS2 will be finished sometime after I've retired. Maybe. #HS2",
        "Fair play, no delays on the train all week. Is this a record? \U0001f602",
        "Cycled into a pothole the size of a bath on my commute. Bike's bent, knee's bleeding. Council says 'within 28 days'.",
        "Bus fare went from \u00a32 to \u00a33 and my route got cut to one an hour. Pay more, get less. #BusFares",
        "Season ticket up again and the trains are worse than ever. Delays every single day.",
        "Our rural bus service has been axed entirely. How are teenagers meant to get to college? #BusFares",
        "Nice new station, lovely cafe, trains still cancelled. #priorities",
        "HS2 costs have doubled and it doesn't even go to Euston yet. Anyone want to explain that? #HS2",
        "Filled in the council pothole form. Photo, location, depth. Automated reply: 'no defect found'. It's 15cm deep. #Potholes",
        "Delays again on the 08:04 but delay repay came through in 2 days. Credit to the train company for that at least.",
        "Taking the bus is now cheaper than parking in town. Nice to see. #BusFares",
        "My daughter waits 45 minutes at a dark bus stop after school because the 5pm bus was cut. A bus fare cap means nothing if there's no bus.",
        "Timetable change next month. Last time we got six weeks of train cancellations. Bracing myself.",
        "Potholes in our village are so bad the school bus won't use the lane anymore. #Potholes",
        "The electric buses in our city are brilliant. Quiet, clean, on time \u26a1\U0001f68c #BusFares",
        "Northern rail cancellations should be a national scandal. If this happened in the South East it'd be fixed in a week.",
        "Just paid \u00a3180 for a tyre thanks to a pothole on the ring road. Claiming from the council, wish me luck. #Potholes",
        "HS2 is the right project done the wrong way. Still want it finished properly. #HS2",
        "Trains cancelled because of 'staff sickness' four days out of five. That's not sickness, that's not enough staff.",
        "Road resurfacing finally done on our high street. Smooth as glass. Took 3 years of complaining \U0001f389 #Potholes",
        "Bus fare cap at \u00a33 is fine in cities. In rural areas where the bus used to be \u00a37 return it's a lifeline. #BusFares",
        "Sat on a stationary train outside Doncaster for 90 minutes. No announcements. Delays are one thing, silence is another.",
        "Council spends thousands on a cycle lane then leaves a pothole in the middle of it. \U0001f643",
        "Why does a Leeds to Manchester train take longer now than it did in 1990? Cancelled, delayed, overcrowded.",
        "Dear council, the pothole on Mill Lane has its own postcode now. Kind regards, everyone. #Potholes",
    ],
}

# Posts on the day strike dates are announced (dhsc) and the rail strike is announced (dft),
# and the standing charge rise (desnz, week 47): the spike and emerging-theme pools.
SPIKE_POSTS: dict[str, list[str]] = {
    "dhsc": [
        "So that's it then. Junior doctors strike from 3 to 7 December. Five days. My operation was booked for the 4th. Gutted and furious \U0001f621",
        "Junior doctors announce another strike and the government response is a shrug. Absolute shambles. #JuniorDoctors",
        "Fully support the junior doctors. Pay restoration now. Strike dates are the government's fault, not theirs. #JuniorDoctors",
        "Another junior doctors strike right before Christmas. Patients are the ones who suffer. Awful.",
        "Third time my chemo review has been moved because of strike action. I'm scared, not political. #NHS",
        "Five days of strikes in December when A&E is already on its knees. Reckless and dangerous. #JuniorDoctors",
        "The health secretary had months to negotiate and did nothing. Now we get a walkout in December. Useless. #JuniorDoctors",
        "If junior doctors strike in December people will suffer waiting. Both sides need to get in a room today.",
        "Hearing consultants might back the junior doctors with industrial action of their own. This is getting worse, not better.",
        "My wife is a junior doctor. She's exhausted, in debt and paid less in real terms than 15 years ago. She doesn't want to strike. She's been forced to. #JuniorDoctors",
        "Strike dates confirmed and my GP appointment gets cancelled anyway 'due to pressures'. Brilliant. \U0001f643",
        "Waiting list was finally coming down and now this. Another strike, another 100,000 cancelled appointments. #WaitingLists",
        "Doctors deserve fair pay. Patients deserve treatment. The government is failing both. #NHS #JuniorDoctors",
        "Not one minister on the airwaves this morning to explain what happens to patients during the strike. Disgraceful. #NHS",
        "Solidarity with junior doctors on strike. You kept us alive through the pandemic. \U0001f4aa #JuniorDoctors",
        "Strike or no strike, I still can't get a GP appointment. The whole thing is collapsing.",
        "A December walkout by junior doctors is cruel timing. Flu season, Covid, cold snaps. Terrible.",
        "Hospital just texted: my outpatient appointment on 5 December is cancelled due to junior doctors industrial action. Nine months I waited for that.",
        "The junior doctors strike is the symptom, not the disease. Twenty years of underfunding is the disease. #NHS",
        "How many more strikes before someone actually fixes NHS pay? I'm sick of this. #JuniorDoctors",
        "Just saw the strike dates. My dad's bypass is the week after. Terrified it gets cancelled \U0001f64f #NHS",
        "Every patient I spoke to on the ward today was worried about the strike. Not angry at us, just worried. #JuniorDoctors",
        "The same nurses who cover on junior doctors strike days are burning out too. It's exhausting and nobody talks about that.",
        "Called the hospital to ask if my daughter's surgery goes ahead during the strike. 40 minutes on hold, no answer. #NHS",
        "Strike dates announced. Negotiations collapsed. The waiting list will grow. Everyone loses. #WaitingLists",
        "Honestly? I'm angry at everyone. The government, the union, the whole mess. Just want my mum seen. #JuniorDoctors",
        "Pay junior doctors what they're worth and this strike disappears tomorrow. It really is that simple.",
        "Five more days of junior doctors on picket lines. Hope the public remembers who refused to negotiate. #JuniorDoctors",
        "Is anyone else's planned op in limbo now? No letter, no call, nothing since the strike was announced. #WaitingLists",
        "Strike dates were leaked to the press before doctors were even told. Shambolic communication all round. #NHS",
    ],
    "dft": [
        "Rail strike on 1 and 2 December. How exactly am I meant to get to work? Furious. #RailStrike",
        "Another rail strike. I support workers but I've lost count of the days I've had to take as unpaid leave. #RailStrike",
        "Solidarity with rail workers. Safety-critical jobs, real-terms pay cuts. Of course they're striking. #RailStrike",
        "Rail strike announced for the exact days of my daughter's university interview. Fantastic. \U0001f624 #RailStrike",
        "This government can't even keep the trains running on a normal day and now we've got a rail strike too. Shambles.",
        "Train cancellations all week AND a rail strike. At this point I'm buying a bike. #RailStrike",
        "The union says a rail strike is a last resort. Feels like the first resort these days. Pathetic. #RailStrike",
        "Small business owner here. The last rail strike cost us about 40% of takings that week. This could finish us off. Devastating. #RailStrike",
        "Absolutely furious. Booked non-refundable tickets to see my mum for her 80th and now a rail strike. #RailStrike",
        "Is anyone going to talk to the union or are we just doing this forever? Sick of it. #RailStrike",
        "The rail strike means my 40 minute commute becomes 2 hours on a replacement bus. Brilliant. Just brilliant.",
        "Everyone moaning about the rail strike should ask why the talks collapsed. Ministers walked out. #RailStrike",
        "Two-day rail strike in the run-up to Christmas. Shops, pubs and theatres will be devastated. #RailStrike",
        "Can't work from home, can't drive, can't afford a taxi. The rail strike means I lose two days' pay. \U0001f61e",
        "Remember when they said minimum service levels would stop this? How's that going? #RailStrike",
        "Rail strike again? My train was cancelled yesterday anyway so honestly what's the difference \U0001f643",
        "Trains delayed every day, fares up every year, now strikes. Britain's railway in 2026 is a joke. #RailStrike",
        "Good. Hope they win. Rail workers kept the country moving through Covid. #RailStrike",
        "Hospital appointment in Leeds on 2 December. Rail strike. No car. Do I cancel? #RailStrike",
        "Rail strike chaos incoming. The roads will be gridlocked and the potholes on the ring road won't help. #Potholes",
        "Rail strike on the first weekend of December when the Christmas markets open. Genius timing. Absolute disaster for the city.",
        "Students heading home for the holidays are going to get hammered by this rail strike. Miserable. #RailStrike",
        "Dear rail union, dear government: stop using us as pawns. Disgraceful. #RailStrike",
        "Fourth rail strike this year in our region. Fourth. I've stopped even being angry, I'm just tired. #RailStrike",
        "Half the trains on my line are cancelled on a normal Tuesday. A rail strike barely changes anything round here.",
        "Support the strike, hate the disruption. Both things can be true. #RailStrike",
        "That's my shifts on 1 and 2 December ruined then. Care workers can't work from home. #RailStrike",
        "Why does every rail strike fall on a Monday or a Friday? Asking for every commuter in the country. #RailStrike",
        "The replacement bus during the last rail strike was a single coach for 300 people. Not again please.",
        "Rail strike dates just announced. Cancelled my trip to London. Gutted. #RailStrike",
    ],
    "desnz": [
        "Standing charge going UP again from January?? I barely use gas and I'm paying nearly \u00a3120 a year just to be connected. #EnergyBills",
        "So the unit price goes down a bit and the standing charge goes up. Guess which one hurts low users most. Infuriating.",
        "Pensioner here. I turn everything off and still pay the standing charge every single day. It's a tax on being poor.",
        "Can someone explain why the electricity standing charge in North Wales is higher than in London? #StandingCharges",
        "Ofgem says the standing charge reflects network costs. Then make the network companies pay, not households. #PriceCap",
        "Standing charge rise from January confirmed. 65p a day for electricity. For doing nothing. \U0001f624",
        "Scrap the standing charge. Simple as that. #EnergyBills",
        "Wait, the standing charge is going up AGAIN? It was only 'reviewed' in the summer.",
        "My prepay meter ate \u00a312 of standing charge debt the moment I topped up. Heating off again tonight.",
        "Low standing charge tariffs should be mandatory for every supplier. Give people the choice. #EnergyBills",
        "Just did the maths: the standing charge will cost me \u00a3340 next year before I boil a single kettle. #StandingCharges",
        "The standing charge increase hits people who use the least energy hardest. Unfair and cruel.",
        "Disabled people who can't cut their usage are getting hammered by the standing charge rise. Shameful.",
        "Energy prices rise AND the standing charge rises. Merry Christmas from Ofgem \U0001f384",
        "I run a tiny community hall. Standing charge up 18%. We might have to close on weekdays. Heartbreaking.",
        "Not a single minister defending the standing charge rise on the radio this morning. Funny that.",
        "Ofgem's consultation on the standing charge closes in a few weeks. Respond to it. Tell them how unfair it is. #EnergyBills",
        "Me: uses less energy. Energy company: raises the standing charge. Me: \U0001f921",
        "The standing charge is now more than a third of my electricity bill. How is that a fair system?",
        "Why does my standing charge go up when I'm already paying for the network through my unit rate? Double charging. #StandingCharges",
        "Standing charge protest outside the Ofgem offices on Saturday. Bring a flask \u2615 #StandingCharges",
        "Told my nan the standing charge was going up again. She said she'd just turn the fridge off. She wasn't joking. #EnergyBills",
        "Cross-party MPs are now calling for the standing charge to be scrapped for low users. About time. #EnergyBills",
        "Flat with no gas, tiny fridge, LED bulbs. Half my bill is the standing charge. Explain that to me. #StandingCharges",
    ],
}
# Two standing charge posts from week 46, before anyone was talking about it.
WEEK46_STANDING_CHARGE = [
    "Anyone know if the standing charge is changing in the next price cap? Trying to budget for the winter.",
    "Standing charge on my bill is 53p a day. Seems a lot for a one-bed flat.",
]

# Organisation, MP and journalist posts: (username, text, when). when is None (any time),
# "w46"/"w47", or minutes after the department's event ("dhsc", 10) etc.
ORG_POSTS: list[tuple[str, str, object]] = [
    # --- dhsc
    (
        "DoctorsUnionUK",
        "Junior doctors in England will strike from 07:00 on 3 December to 07:00 on 8 December. We gave the government every chance to make a credible offer. #JuniorDoctors",
        ("dhsc", 0),
    ),
    (
        "DHSCgovuk",
        "Statement on junior doctors strike dates: 'This action is disappointing and will cause real disruption for patients. We urge the union to call it off and return to talks.' {url}",
        ("dhsc", 95),
    ),
    (
        "NHSEngland",
        "If you have a hospital appointment during the junior doctors strike, please attend unless you are contacted. Emergency care will be there for you. #NHS",
        ("dhsc", 240),
    ),
    (
        "HMarchbankMP",
        "I've written to the Health Secretary urging immediate talks to stop the junior doctors strike. Patients in Eastwick and Hollins can't wait any longer.",
        ("dhsc", 300),
    ),
    (
        "PatientsFirstUK",
        "Worried about your appointment during the junior doctors strike? Our patient helpline is open until 8pm today. #JuniorDoctors {url}",
        ("dhsc", 180),
    ),
    (
        "AnnaWhitlock",
        "Exclusive: Dozens of trusts have drawn up plans to cancel non-urgent operations during next month's junior doctors strike, documents seen by the Ledger show. {url}",
        ("dhsc", 620),
    ),
    (
        "JamieLindqvist",
        "Health Secretary tells Broadside the door is 'still open' to talks with junior doctors but rules out reopening this year's pay award. Union says that's not an offer. #JuniorDoctors",
        ("dhsc", 150),
    ),
    (
        "NursesUnitedUK",
        "Nurses stand with junior doctors. We are not ruling out industrial action of our own if the pay review is ignored again. #NHS",
        ("dhsc", 480),
    ),
    (
        "DoctorsUnionUK",
        "Emergency and critical care will be staffed on every strike day. We have always protected patient safety. #JuniorDoctors",
        ("dhsc", 1500),
    ),
    (
        "AnnaWhitlock",
        "Waiting list figures for England out this morning: 7.4m cases, down slightly on last month but still far above pre-pandemic levels. Thread below. #WaitingLists",
        "w46",
    ),
    (
        "AnnaWhitlock",
        "A&E four-hour performance last month: 72%. Twelve-hour waits from decision to admit up again. #NHS {url}",
        None,
    ),
    (
        "KateOduya",
        "Social care providers warn of closures as higher staffing costs bite. Our survey of 200 care home operators finds one in five considering selling up. #SocialCare {url}",
        None,
    ),
    (
        "HannahPryorData",
        "NHS dentistry in one chart: more than half of practices in our survey are not taking new adult patients. The gaps are widest on the coast. {url}",
        None,
    ),
    (
        "HannahPryorData",
        "The number of people waiting more than a year for treatment has fallen for a third month, official figures show. Still 10x pre-pandemic. #WaitingLists",
        "w47",
    ),
    (
        "DHSCgovuk",
        "We're investing \u00a3250 million to free up hospital beds this winter by speeding up discharge into social care. Find out more: {url}",
        None,
    ),
    (
        "DHSCgovuk",
        "Patients can now get treatment for seven common conditions at their local pharmacy without a GP appointment. #PharmacyFirst #NHS",
        None,
    ),
    (
        "DHSCgovuk",
        "The waiting list has fallen for the third month in a row. There's more to do, but we're making progress. #WaitingLists {url}",
        "w46",
    ),
    (
        "DHSCgovuk",
        "Our winter plan for the #NHS: more ambulance hubs, extra beds and faster discharge from hospital. {url}",
        None,
    ),
    (
        "NHSEngland",
        "Get your flu and Covid vaccine if you're eligible. It's quick, free and protects you and your family this winter. #NHS {url}",
        None,
    ),
    (
        "NHSEngland",
        "Thousands more patients are being seen at community diagnostic centres, helping to bring down the waiting list for scans and tests. #NHS",
        None,
    ),
    (
        "NHSEngland",
        "Our A&E teams are working flat out. If it's not an emergency, please use NHS 111 online first. #NHS {url}",
        None,
    ),
    (
        "HMarchbankMP",
        "Met carers in Eastwick today. Every one of them told me the same thing: social care is on its knees and they're propping it up unpaid.",
        None,
    ),
    (
        "ImranQadirMP",
        "Constituents waiting over 2 years for an NHS dentist. I'm raising it in the House this week. #NHS",
        None,
    ),
    (
        "ImranQadirMP",
        "Proud to visit our new surgical hub today, which will help cut the waiting list in Ashworth. Brilliant staff \U0001f44f #WaitingLists",
        None,
    ),
    (
        "PatientsFirstUK",
        "New survey: 1 in 7 people on the waiting list have had to give up work while they wait. That's not just a health crisis. #WaitingLists {url}",
        None,
    ),
    (
        "CarersTogether",
        "Unpaid carers save the country billions a year. It's time social care reform recognised them. #SocialCare",
        None,
    ),
    (
        "CarersTogether",
        "Carers Rights Day is this week. If you look after someone, you have rights: here's where to start. #SocialCare {url}",
        "w47",
    ),
    (
        "PatientsFirstUK",
        "Patients tell us the waiting list isn't just a number. It's months of pain, lost income and worry. Listen to them. #NHS",
        None,
    ),
    # --- dfe
    (
        "EllieFenwick",
        "NEW: Councils in England face a combined SEND funding deficit of more than \u00a35bn by 2027, according to analysis seen by Westminster Wire. #SEND {url}",
        None,
    ),
    (
        "EllieFenwick",
        "Schools minister says the remaining RAAC sites will be fixed 'as quickly as possible' but won't commit to a date. #RAAC",
        None,
    ),
    (
        "EllieFenwick",
        "Teacher recruitment: postgraduate trainee numbers for secondary subjects hit 62% of target this year, one of the lowest on record. {url}",
        None,
    ),
    (
        "OwenTudorRees",
        "Free school meals: eligibility widened again, with 2.2m pupils in England now entitled. Wales already offers them to every primary pupil. #FreeSchoolMeals",
        None,
    ),
    (
        "EllieFenwick",
        "EHCP tribunal appeals have risen for the fourth year running, and parents win in the vast majority of cases. #SEND",
        "w47",
    ),
    (
        "educationgovuk",
        "From next September, all children in households on Universal Credit will be eligible for free school meals. Find out more: {url} #FreeSchoolMeals",
        None,
    ),
    (
        "educationgovuk",
        "Teachers will receive a 4% pay award from September. #TeacherPay {url}",
        None,
    ),
    (
        "educationgovuk",
        "Teacher recruitment: we're on track to recruit 6,500 new teachers. Thinking of teaching? {url}",
        None,
    ),
    (
        "educationgovuk",
        "Every school with confirmed RAAC has a plan in place to remove it. Latest list and updates: {url} #RAAC",
        None,
    ),
    (
        "educationgovuk",
        "Our SEND reforms will mean earlier support in mainstream schools and less time waiting for help. #SEND",
        None,
    ),
    (
        "PriyaRamaswell",
        "Another heartbreaking casework day. Parents fighting for EHCPs, tribunals delayed, kids out of school. The SEND system is broken. #SEND",
        None,
    ),
    (
        "ImranQadirMP",
        "Welcome the extension of free school meals. Now let's make sure every eligible family actually gets them. #FreeSchoolMeals",
        None,
    ),
    (
        "SENDFamiliesNet",
        "Our new survey: 7 in 10 families waited longer than the legal 20 weeks for an EHCP. #SEND {url}",
        None,
    ),
    (
        "FullPlatesUK",
        "Every child in poverty should get free school meals. Sign our open letter: {url} #FreeSchoolMeals",
        None,
    ),
    (
        "SENDFamiliesNet",
        "Our helpline is open tonight 6-9pm for parents facing a SEND tribunal. You don't have to do this alone. #SEND",
        None,
    ),
    (
        "NTAunion",
        "Teachers deserve a fully funded pay rise. Members will be consulted on next steps. #TeacherPay",
        None,
    ),
    (
        "NTAunion",
        "Workload is the number one reason teachers leave. Teacher recruitment will not improve until it's tackled.",
        None,
    ),
    # --- desnz
    (
        "RajBhandari_",
        "NEW: Ofgem confirms the standing charge will rise from 1 January, adding around \u00a320 a year to a typical dual fuel bill. Unit rates fall slightly. #EnergyBills {url}",
        ("desnz", 0),
    ),
    (
        "LiamCarmody",
        "Standing charge rise: regional variation means households in North Wales, Merseyside and the north of Scotland pay the most, our analysis shows. {url}",
        ("desnz", 1500),
    ),
    (
        "CallumBairdSNP",
        "This standing charge rise is a hammer blow for pensioners and low users in Glenross and Strathairlie. I've written to Ofgem today.",
        ("desnz", 240),
    ),
    (
        "FairFuelUK",
        "A standing charge rise is a poverty premium by another name. Low-income households can't cut their way out of a fixed charge. #EnergyBills",
        ("desnz", 120),
    ),
    (
        "BrightwattHelp",
        "We know the standing charge change is frustrating. It's set through Ofgem's price cap and applies to all suppliers. Our support fund is open: {url}",
        ("desnz", 300),
    ),
    (
        "KateOduya",
        "Spoke to five families in Walsall today about the standing charge rise. Every one of them already rations heating. {url}",
        ("desnz", 2900),
    ),
    (
        "RajBhandari_",
        "The price cap for January to March will be announced next Tuesday. Analysts expect a small fall in unit rates. #PriceCap",
        "w46",
    ),
    (
        "RajBhandari_",
        "Heat pump installations are up 40% on last year, but still well short of the government's target. #HeatPumps {url}",
        None,
    ),
    (
        "energygovuk",
        "Heat pumps are cheaper to install thanks to the \u00a37,500 Boiler Upgrade Scheme grant. Apply: {url} #HeatPumps",
        None,
    ),
    (
        "energygovuk",
        "Our Warm Homes Plan will upgrade up to 300,000 homes this year, cutting bills and emissions. #NetZero {url}",
        None,
    ),
    (
        "energygovuk",
        "New offshore wind connected this year will power the equivalent of 2 million homes. #NetZero",
        None,
    ),
    (
        "energygovuk",
        "The warm home discount will give \u00a3150 off bills to over 6 million households this winter. Check if you're eligible: {url}",
        None,
    ),
    (
        "RosaPembertonMP",
        "Net zero done right means lower energy bills, good jobs and warmer homes. Done badly it means none of those. #NetZero",
        None,
    ),
    (
        "FionaLatchford",
        "Constituents tell me their energy bills rise every time the price cap moves, whichever direction it moves. Something is wrong with the system.",
        None,
    ),
    (
        "FairFuelUK",
        "This winter 6 million households will be in fuel poverty. The price cap is not protection enough. #EnergyBills",
        None,
    ),
    (
        "WarmHomesCo",
        "If you're struggling with energy bills, help is available. Free advice on grants, insulation and the warm home discount: {url}",
        None,
    ),
    (
        "BrightwattHelp",
        "Brightwatt customers: your direct debit may change after the price cap update. We'll email you two weeks before anything changes. #PriceCap",
        "w46",
    ),
    (
        "VerdantHeat",
        "We've installed our 5,000th heat pump! Thanks to every household that chose low carbon heating \U0001f389 #HeatPumps",
        None,
    ),
    (
        "NorthgridEnergy",
        "We're aware of an issue with smart meter readings in parts of the North West. Engineers are on it. Sorry for the hassle. #EnergyBills",
        None,
    ),
    # --- mhclg
    (
        "SophieCarrow",
        "NEW: No-fault evictions will end next May, the housing secretary confirms. Section 21 notices served before then will still be valid. #RentersRights {url}",
        None,
    ),
    (
        "SophieCarrow",
        "Homelessness: a record number of households are now in temporary accommodation in England, official figures show. #Homelessness {url}",
        "w46",
    ),
    (
        "HannahPryorData",
        "Section 21 evictions hit a five-year high last quarter as landlords rush ahead of the ban, court data shows. Chart below. {url}",
        None,
    ),
    (
        "KateOduya",
        "Private rents rose 9% in the year to October, the fastest increase on record outside London. #Renters",
        None,
    ),
    (
        "mhclg",
        "The Renters' Rights Act will end section 21 no-fault evictions, giving renters security in their homes. Find out what it means for you: {url} #RentersRights",
        None,
    ),
    (
        "mhclg",
        "We're investing \u00a31bn to tackle homelessness and rough sleeping this winter. #Homelessness {url}",
        None,
    ),
    (
        "mhclg",
        "Landlords must fix dangerous damp and mould within strict time limits under new rules. #Housing {url}",
        None,
    ),
    (
        "mhclg",
        "Have your say: our consultation on ending section 21 evictions is open until 30 November. {url}",
        None,
    ),
    (
        "mhclg",
        "We're reforming the planning system to get Britain building 1.5 million homes. #Housing",
        None,
    ),
    (
        "NaomiOkonjoMP",
        "Three constituents this week alone have been served section 21 notices. The ban can't come quickly enough.",
        None,
    ),
    (
        "NaomiOkonjoMP",
        "Spent the morning with our homelessness outreach team. Humbling. They need long-term funding, not one-year pots. #Homelessness",
        None,
    ),
    (
        "FionaLatchford",
        "Any change to section 21 must be balanced. Good landlords need confidence that the courts will work. #RentersRights",
        None,
    ),
    (
        "HearthstoneHT",
        "Every 4 minutes a household in England is threatened with homelessness. #Homelessness {url}",
        None,
    ),
    (
        "RentersVoiceUK",
        "Got a section 21 notice? Don't panic, and don't leave before you've had advice. Our free helpline: {url} #Renters",
        None,
    ),
    (
        "HearthstoneHT",
        "Damp and mould is not a lifestyle issue. It's a housing issue. #Housing",
        None,
    ),
    (
        "CartrefAction",
        "Renters in Wales have had longer notice periods for two years now. The sky hasn't fallen in. #Housing",
        None,
    ),
    (
        "LandlordsForum",
        "Landlords: our free webinar on the new possession grounds that replace section 21 runs Thursday at 7pm. {url}",
        None,
    ),
    (
        "LandlordsForum",
        "Members tell us court delays are their biggest worry once section 21 goes. Fund the courts. #RentersRights",
        None,
    ),
    (
        "HomesteadLets",
        "Looking for a new home? 12 new lets this week across the city, all with fair fees. #Renters {url}",
        None,
    ),
    (
        "PryceEvansMP",
        "Social housing waiting times in Ystrad Teifi are the longest in a decade. We need to build, and build now. #Housing",
        None,
    ),
    # --- dft
    (
        "UnitedRailWkrs",
        "Our members will take strike action on 1 and 2 December. This is a fight for fair pay and safe staffing on Britain's railways. #RailStrike",
        ("dft", 0),
    ),
    (
        "MarcusObiNews",
        "BREAKING: United Rail Workers announce a 48-hour national rail strike on 1 and 2 December after pay talks collapse. #RailStrike {url}",
        ("dft", 4),
    ),
    (
        "transportgovuk",
        "Statement on the rail strike: 'This action is unnecessary. We urge the union to call it off and return to talks.' #RailStrike",
        ("dft", 75),
    ),
    (
        "JamieLindqvist",
        "Transport secretary calls the rail strike 'unnecessary and unjustified' and says the pay offer remains on the table. #RailStrike",
        ("dft", 150),
    ),
    (
        "MeridianRail",
        "Following the announcement of a rail strike on 1-2 December, we expect to run a very limited service. Please check before you travel. #RailStrike",
        ("dft", 120),
    ),
    (
        "SouthvaleRail",
        "Tickets for 1 and 2 December can be used the day before or up to 4 December, or refunded in full with no fee. #RailStrike",
        ("dft", 200),
    ),
    (
        "TomAshdownMP",
        "Another rail strike is a disaster for commuters in Caddon Vale. Both sides need to get back round the table today. #RailStrike",
        ("dft", 260),
    ),
    (
        "CommuterWatch",
        "Passengers are fed up with being caught in the middle. Our rail strike survival guide: {url} #RailStrike",
        ("dft", 330),
    ),
    (
        "UnitedRailWkrs",
        "We remain available for talks at any time. The rail strike can still be avoided if ministers come back with a serious offer. #RailStrike",
        ("dft", 420),
    ),
    (
        "MarcusObiNews",
        "Rail strike: operators warn of 'very limited' services with some lines closed entirely on 1-2 December. Full list to follow. #RailStrike",
        ("dft", 900),
    ),
    (
        "CitylineBuses",
        "Extra buses will run on our busiest routes during the rail strike. Every journey is still capped at \u00a33. #BusFares #RailStrike",
        ("dft", 1500),
    ),
    (
        "transportgovuk",
        "If you're travelling on 1-2 December, check before you travel. Services will be severely disrupted by the rail strike. {url}",
        ("dft", 1600),
    ),
    (
        "MarcusObiNews",
        "Train cancellations on Northern routes hit 8% last month, the worst since records began, regulator data shows. {url}",
        "w46",
    ),
    (
        "HannahPryorData",
        "Pothole claims against councils are up 30% this year as roads deteriorate after a wet autumn. #Potholes {url}",
        None,
    ),
    (
        "OwenTudorRees",
        "HS2 and Wales: the Senedd is still asking for its share of rail funding. No answer yet from Whitehall. #HS2",
        None,
    ),
    (
        "transportgovuk",
        "The \u00a33 bus fare cap has been extended until the end of 2027, saving passengers money on every journey. #BusFares {url}",
        None,
    ),
    (
        "transportgovuk",
        "We're giving councils \u00a31.6bn to fix potholes and resurface roads. Find out how much your area gets: {url} #Potholes",
        None,
    ),
    (
        "transportgovuk",
        "HS2 tunnelling under the Chilterns is now complete \U0001f687 #HS2 {url}",
        None,
    ),
    (
        "DaveKershawMP",
        "Thornley Moor's roads are a patchwork of potholes. I've secured a debate on rural road funding next week. #Potholes",
        None,
    ),
    (
        "RosaPembertonMP",
        "Welcome the bus fare cap extension. Now fund the routes so there's actually a bus to catch. #BusFares",
        None,
    ),
    (
        "PennineTrains",
        "We're sorry for the train cancellations on the Calder line this morning due to a signalling fault. Tickets are accepted on local buses.",
        None,
    ),
    (
        "CommuterWatch",
        "Train cancellations rose for the third month running on the routes we monitor. Passengers deserve better. {url}",
        None,
    ),
    (
        "PryceEvansMP",
        "Rural bus routes in Ystrad Teifi cut again. A bus fare cap is no use without a bus. #BusFares",
        None,
    ),
]

CROSS_POSTS: list[tuple[tuple[str, ...], str]] = [
    (
        ("mhclg", "dhsc"),
        "Kids with asthma stuck in damp and mould flats, then stuck on an NHS waiting list for a respiratory clinic. Housing is health.",
    ),
    (
        ("dfe", "desnz"),
        "Free school meals and the warm home discount are both means-tested, both underclaimed, and both should be automatic.",
    ),
    (
        ("dft", "dhsc"),
        "The rail strike means I'll miss my GP appointment, the first one I've managed to get in six weeks.",
    ),
    (
        ("mhclg", "desnz"),
        "Social housing tenants on our estate got heat pumps fitted this year. Bills down, damp gone. More of this please. #NetZero",
    ),
    (
        ("dfe", "mhclg"),
        "Teachers can't afford the rent near the schools they teach in. Teacher recruitment is a housing problem too. #Housing",
    ),
    (
        ("desnz", "dft"),
        "Energy bills up, rent up, bus fares up. Nothing is going down except my bank balance. #EnergyBills #BusFares",
    ),
    (
        ("dhsc", "dft"),
        "Nurses balloting, a rail strike, a junior doctors strike. December is going to be grim.",
    ),
    (
        ("dfe", "mhclg"),
        "RAAC in the school and damp and mould at home. My kids can't catch a break. #RAAC",
    ),
    (
        ("desnz", "dft"),
        "Price cap up and a bus fare rise in the same week. Great start to winter. \U0001f644",
    ),
    (
        ("dhsc", "dft"),
        "Social care staff rely on buses to get between visits. Every bus fare rise and route cut hits care users too. #SocialCare",
    ),
]

# Campaign posts: near-duplicates shared by many people (some edit them a little).
CAMPAIGNS: dict[str, tuple[str, str, str, int]] = {
    # dept: (text, charity whose link it is, week or "", how many)
    "mhclg": (
        "I've just written to my MP asking them to back a full ban on no-fault evictions, with no loopholes. It takes two minutes: {url} #RentersRights",
        "RentersVoiceUK",
        "",
        4,
    ),
    "desnz": (
        "I've signed the petition to scrap the standing charge for low energy users. Add your name: {url} #EnergyBills",
        "FairFuelUK",
        "w47",
        5,
    ),
    "dfe": (
        "Every child in poverty deserves a hot lunch. I've signed the open letter for automatic enrolment for free school meals: {url} #FreeSchoolMeals",
        "FullPlatesUK",
        "",
        3,
    ),
}
CAMPAIGN_TWEAKS = ["", " \U0001f64f", " Please share.", " Done \u2705", " RT please!"]

NOISE_POSTS = [
    "Can't believe it's nearly December already. Where did this year go?",
    "That last-minute equaliser!!! What a game \u26bd\U0001f525",
    "Made sourdough for the first time and it's basically a brick. Still eating it.",
    "Anyone watching the baking final tonight? No spoilers please \U0001f370",
    "Frost on the car this morning. Winter has arrived \u2744\ufe0f",
    "New coffee place on the high street does a mean flat white \u2615",
    "My cat has decided 4am is the perfect time for zoomies. Send help \U0001f408",
    "Christmas lights switched on in town tonight. Kids loved it \u2728",
    "Why is every podcast now 3 hours long?",
    "Finished my first half marathon today! Legs are jelly but so proud \U0001f3c3\u200d\u2640\ufe0f",
    "Rugby on a Saturday afternoon with a pint. Nothing better \U0001f3c9\U0001f37a",
    "Just found a tenner in last winter's coat. Best day of the week.",
    "Leaves everywhere. Spent two hours raking and the wind undid it in five minutes \U0001f342",
    "Reading recommendations for long winter nights? I've just finished everything on my list \U0001f4da",
    "The dog ate a whole sock and is completely fine. The vet bill, less so \U0001f436",
    "Good morning from a very foggy Yorkshire \U0001f32b\ufe0f",
    "Does anyone else think mince pies should only be allowed from 1 December? Controversial I know.",
    "Our allotment's leeks are the best they've ever been. Small wins \U0001f96c",
    "Lost my voice after the gig last night. Worth it \U0001f3b8",
    "Is it just me or is every advert on TV now about betting?",
    "Big shout out to the lollipop lady outside our primary, 30 years in the job and still smiling \u2764\ufe0f",
    "Tried to assemble flat-pack furniture. One screw left over. It's fine. Probably fine.",
    "Sunsets this week have been unreal \U0001f305",
    "Rainy Sunday, soup on, film on. Perfect.",
    "Stalls for our Christmas craft fair are nearly gone, book by Friday! Village hall, 6 December.",
    "Squad announced for the autumn friendlies. Some interesting picks there \U0001f914",
    "Dear neighbours, the fireworks finished a week ago. Please stop.",
    "Proud of my daughter who passed her grade 5 piano today \U0001f3b9",
    "Concert sold out in 4 minutes. Of course it did.",
    "Black Friday deals already? It's not even the 20th.",
    "Quiz night at the Red Lion raised \u00a3600 for the scout hut roof \U0001f37b",
    "Spotted a kingfisher on the canal this morning. Made my week \U0001f499",
    "Still no sign of the parcel that was 'delivered' on Tuesday.",
    "Anyone recommend a good plumber in the Bristol area? Boiler making strange noises.",
    "Gym in January: heaving. Gym in November: me and a man doing lunges.",
    "The dance show results were robbed. ROBBED.",
    "Toddler has named the new goldfish 'Dinner'. Concerned.",
    "First snow of the year in the Highlands \U0001f3d4\ufe0f Stunning.",
    "Charity shop find of the year: a wool coat for \u00a38.",
    "Why is the self-checkout always in a bad mood?",
    "Booked a week in Pembrokeshire for the spring. Already counting down.",
    "Our local library is doing free coding clubs for kids on Saturdays. Brilliant idea \U0001f44f",
    "Wordle in 2 today. Peak performance.",
    "Forecast says storm this weekend. Bring the bins in, folks \U0001f32c\ufe0f",
    "Football club's new away kit is an absolute crime against fashion.",
    "Learning Welsh on the app, day 200. Diolch for the encouragement everyone \U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    "Cheese on toast for tea. Living the dream \U0001f9c0",
    "Who decided 'circle back' was an acceptable phrase at work? Asking for a friend.",
    "Why is it cheaper to fly to Spain than to get a train to Cornwall?",
    "The village hall has put its hire charge up, so panto tickets are \u00a32 more this year \U0001f3ad",
]
# Posts that contain watched words but are excluded by a query's "-" term.
EXCLUSION_POSTS = [
    "The tooth fairy is paying \u00a32 a tooth now? Our dentist laughed out loud when my son told her.",
    "Model railway club exhibition this weekend! Our layout's little train was cancelled mid-run after a points failure \U0001f602 delays expected at the tea urn.",
]

NON_ENGLISH_POSTS: list[tuple[str, str]] = [
    (
        "cy",
        "Mae rhestrau aros y GIG yng Nghymru yn hirach nag erioed. Mae fy nhad wedi aros dwy flynedd am lawdriniaeth. #NHS #GIG",
    ),
    (
        "cy",
        "Tr\u00ean arall wedi'i ganslo rhwng Caerdydd ac Abertawe. Dim ymddiheuriad, dim gwybodaeth. A nawr streic reilffordd hefyd. #RailStrike",
    ),
    (
        "cy",
        "Biliau ynni'n codi eto a'r t\u00e2l sefydlog hefyd. Sut mae teuluoedd i fod i ymdopi y gaeaf hwn? #EnergyBills",
    ),
    (
        "cy",
        "Digon yw digon: rhaid dod \u00e2 throi allan heb fai i ben. Mae pawb yn haeddu cartref diogel. #RentersRights",
    ),
    ("cy", "Diolch i'r nyrsys yn Ysbyty Gwynedd am ofalu am Mam yr wythnos hon \u2764\ufe0f #NHS"),
    (
        "pl",
        "Czekam ju\u017c 9 miesi\u0119cy na wizyt\u0119 u specjalisty. Lista oczekuj\u0105cych ro\u015bnie i ro\u015bnie. #NHS #WaitingLists",
    ),
    (
        "pl",
        "Znowu odwo\u0142any poci\u0105g do pracy, a teraz jeszcze strajk kolejarzy 1 i 2 grudnia. #RailStrike",
    ),
    (
        "pl",
        "Rachunki za pr\u0105d i gaz znowu w g\u00f3r\u0119. Op\u0142ata sta\u0142a to jaki\u015b \u017cart. #EnergyBills",
    ),
    (
        "pl",
        "W\u0142a\u015bciciel podni\u00f3s\u0142 czynsz o 200 funt\u00f3w miesi\u0119cznie. Gdzie mamy si\u0119 podzia\u0107 z dzie\u0107mi? #Renters",
    ),
    (
        "ur",
        "\u0627\u06cc\u0646 \u0627\u06cc\u0686 \u0627\u06cc\u0633 \u0645\u06cc\u06ba \u0627\u0646\u062a\u0638\u0627\u0631 \u06a9\u06cc \u0641\u06c1\u0631\u0633\u062a\u06cc\u06ba \u0628\u06c1\u062a \u0644\u0645\u0628\u06cc \u06c1\u06cc\u06ba\u06d4 \u0645\u06cc\u0631\u06cc \u0627\u0645\u06cc \u0686\u06be \u0645\u0627\u06c1 \u0633\u06d2 \u0622\u067e\u0631\u06cc\u0634\u0646 \u06a9\u0627 \u0627\u0646\u062a\u0638\u0627\u0631 \u06a9\u0631 \u0631\u06c1\u06cc \u06c1\u06cc\u06ba\u06d4 #NHS",
    ),
    (
        "ur",
        "\u0628\u062c\u0644\u06cc \u0627\u0648\u0631 \u06af\u06cc\u0633 \u06a9\u06d2 \u0628\u0644 \u067e\u06be\u0631 \u0628\u0691\u06be \u06af\u0626\u06d2 \u06c1\u06cc\u06ba\u06d4 \u063a\u0631\u06cc\u0628 \u06af\u06be\u0631\u0627\u0646\u06d2 \u06a9\u06cc\u0627 \u06a9\u0631\u06cc\u06ba\u061f #EnergyBills",
    ),
    (
        "ur",
        "\u0645\u0641\u062a \u0627\u0633\u06a9\u0648\u0644 \u06a9\u06be\u0627\u0646\u0627 \u06c1\u0631 \u0628\u0686\u06d2 \u06a9\u0627 \u062d\u0642 \u06c1\u0648\u0646\u0627 \u0686\u0627\u06c1\u06cc\u06d2\u06d4 \u0628\u06be\u0648\u06a9\u06d2 \u067e\u06cc\u0679 \u067e\u0691\u06be\u0627\u0626\u06cc \u0646\u06c1\u06cc\u06ba \u06c1\u0648\u062a\u06cc\u06d4 #FreeSchoolMeals",
    ),
    (
        "es",
        "Llevo tres semanas intentando conseguir cita con el m\u00e9dico de cabecera. Esto no puede seguir as\u00ed. #NHS",
    ),
    (
        "es",
        "Otra huelga de trenes en Reino Unido el 1 y 2 de diciembre. \u00bfC\u00f3mo voy a llegar al trabajo? #RailStrike",
    ),
    ("es", "Mi casero quiere subir el alquiler otra vez. Cada a\u00f1o lo mismo. #Renters"),
    (
        "es",
        "Los baches de mi calle son peligros\u00edsimos, ayer rev\u00e9nt\u00e9 una rueda. #Potholes",
    ),
]

# Reply texts for one-off replies, by department, plus generic ones that match nothing.
REPLY_POSTS: dict[str, list[str]] = {
    "dhsc": [
        "Same with my dad. 16 months on the waiting list and counting.",
        "This is exactly why the junior doctors are striking. Nothing changes otherwise.",
        "Our GP surgery is the same. 8am scramble, every GP appointment gone by 8:05.",
        "Social care staff deserve so much better than this.",
        "My sister is a nurse. She says the waiting list for her clinic has never been this long.",
        "Thank you for raising this. The social care crisis is ignored far too often.",
        "Have you asked to go on the cancellation list? Got my op 3 months early that way. #WaitingLists",
        "Dentist near us closed its NHS list last year too. Nightmare.",
    ],
    "dfe": [
        "Exactly the same story with our EHCP. The tribunal is the only thing the council listens to. #SEND",
        "Our school has the same RAAC problem. Nobody tells parents anything. #RAAC",
        "Free school meals should never have been means-tested in the first place.",
        "As a teacher I can tell you teacher recruitment is the worst I've seen in 20 years.",
        "Keep fighting. Parents win almost every SEND tribunal that gets to a hearing.",
        "Ofsted never see the real school. They see the show.",
    ],
    "desnz": [
        "Have you checked if you qualify for the warm home discount? Worth a look.",
        "We got a heat pump last year and love it, but it's not right for every house.",
        "The price cap is a cap on unit rates, not on your bill. Most people don't realise. #PriceCap",
        "My energy bills have doubled since 2021 and I use less than ever. #EnergyBills",
    ],
    "desnz-w47": [
        "Same here, the standing charge is now a huge chunk of my bill.",
        "Standing charge is the least fair part of the whole system. Scrap it. #EnergyBills",
    ],
    "mhclg": [
        "Get advice before you move out. A section 21 notice isn't an eviction order.",
        "Same with our landlord. Rent increase every year, repairs never. #Renters",
        "Damp and mould is a health hazard. Report it to environmental health, they have to act.",
        "Social housing is the only long-term answer. Build it.",
        "The no-fault eviction ban can't come soon enough.",
    ],
    "dft": [
        "Same on my line. Train cancellations every single day this week.",
        "Report the pothole on the council website with a photo. They have to log it.",
        "The bus fare cap is great until the bus doesn't turn up. #BusFares",
        "Rail strike or not, the service is shocking.",
        "HS2 would've been finished by now in any other country. #HS2",
    ],
}
GENERIC_REPLIES = [
    "Exactly this.",
    "Couldn't agree more \U0001f44f",
    "Absolutely shocking.",
    "Thank you for sharing this.",
    "This \U0001f446",
    "Well said.",
    "Sorry you're going through this. Hope it gets sorted soon \u2764\ufe0f",
    "Is this for real?",
    "Source?",
    "Disgraceful.",
    "Ridiculous. Just ridiculous.",
    "\U0001f44f\U0001f44f\U0001f44f",
]

QUOTE_COMMENTS: dict[str, list[str]] = {
    "dhsc": [
        "This is what the waiting list looks like behind the numbers. Read it.",
        "Worth reading before you blame junior doctors for the strike.",
        "Social care is the elephant in the room, again.",
        "Good news on the waiting list, but it's still millions of people waiting. #NHS",
        "And yet I still can't get a GP appointment. #NHS",
        "Every MP should read this on social care.",
        "Pay the junior doctors. It's not complicated. #JuniorDoctors",
        "Nurses were clapped in 2020 and ignored ever since. #NHS",
    ],
    "dfe": [
        "Every MP should read this about SEND funding. #SEND",
        "Good. Now fund it properly. #FreeSchoolMeals",
        "RAAC still in schools in 2026. Let that sink in. #RAAC",
        "Teacher recruitment won't improve while this continues. #TeacherPay",
        "Ofsted's new report cards explained, sort of.",
        "The EHCP backlog in one sentence. Heartbreaking. #SEND",
        "Universal free school meals would end this argument for good.",
    ],
    "desnz": [
        "'Price cap' is doing a lot of heavy lifting in this sentence. #PriceCap",
        "Heat pump grants are great. Now sort the installer shortage. #HeatPumps",
        "The warm home discount should be automatic. Full stop.",
        "This is why energy bills help needs to go to those who need it most.",
        "Net zero is cheaper in the long run. The numbers are right here. #NetZero",
    ],
    "desnz-w47": [
        "Standing charge up, unit rate down. Low users lose again. #EnergyBills",
        "Here's your standing charge rise explained. Spoiler: you pay more.",
        "The standing charge is a flat tax on being connected. Scrap it.",
    ],
    "mhclg": [
        "Section 21 notices still being served every day while we wait for the ban. #RentersRights",
        "Damp and mould in social housing is still far too common. This is why.",
        "Rents up again. When does it stop? #Renters",
        "Good to see. Now enforce it. #RentersRights",
        "Homelessness doesn't end with a press release. #Homelessness",
        "Ask any renter what a section 21 notice feels like.",
    ],
    "dft": [
        "Train cancellations and now this. Commuters deserve better.",
        "Welcome news on the bus fare cap. #BusFares",
        "Pothole money is welcome. Now fix the one on my street. #Potholes",
        "HS2 costs keep climbing. #HS2",
        "Here we go. Rail strike number four this year. #RailStrike",
        "Read this before you blame the workers for the rail strike. #RailStrike",
        "Rail strike confirmed. Plan ahead, folks. #RailStrike",
    ],
}

# Openers that lead into the sentence (and lowercase its first word) only go before
# these common first words, so proper nouns keep their capitals.
OPENERS = ["Honestly,", "Okay so", "Not being funny but", "So"]
LOWERCASE_STARTS = {
    "the",
    "my",
    "our",
    "this",
    "every",
    "another",
    "why",
    "how",
    "is",
    "just",
    "got",
    "had",
    "so",
    "a",
    "three",
    "waiting",
    "rent",
    "bus",
    "train",
    "trains",
    "teachers",
    "kids",
    "landlord",
    "energy",
    "standing",
    "heat",
    "free",
    "season",
    "half",
    "two",
    "five",
    "strike",
    "not",
    "pay",
    "apparently",
    "anyone",
}
# Openers that stand alone; the angry ones only go before angry posts.
STANDALONE_OPENERS = ["Right.", "Well.", "Honestly.", "Long day.", "Morning all.", "Hmm."]
ANGRY_OPENERS = ["Ugh.", "Rant incoming.", "Unbelievable.", "Here we go again."]
CLOSERS = ["Thoughts?", "Anyone else?", "Just saying.", "That's it, that's the post."]
ANGRY_CLOSERS = ["Rant over.", "Sort it out.", "Fuming."]

# Hand-written conversations: (department, first post time, posts). Each post is
# (author, text, minutes after the previous post); author is a username or "pubN",
# a member of the public chosen for this thread. Each post replies to the one before.
THREADS: list[tuple[str, datetime, list[tuple[str, str, int]]]] = [
    (
        "dhsc",
        datetime(2026, 11, 12, 7, 12, 40, tzinfo=UTC),
        [
            (
                "AnnaWhitlock",
                "NEW: Junior doctors in England will strike for five days from 7am on 3 December, the union confirms. Talks broke down last night. More soon. #JuniorDoctors",
                0,
            ),
            (
                "pub1",
                "Not surprised. Everyone on our ward saw this coming weeks ago. Junior doctors have been ignored for too long.",
                9,
            ),
            (
                "DoctorsUnionUK",
                "We didn't want to call a strike. The government left us no choice. Emergency care will be covered. #JuniorDoctors",
                21,
            ),
            (
                "pub2",
                "My surgery is on the 4th. Who do I even call to find out if it's still on? #NHS",
                14,
            ),
            (
                "pub3",
                "Call the hospital's patient advice line. They should contact you if it's cancelled, but chase it. Good luck \u2764\ufe0f",
                11,
            ),
            (
                "pub2",
                "Thanks. 40 minutes on hold so far. This whole junior doctors strike mess is just awful.",
                52,
            ),
            (
                "ImranQadirMP",
                "Happy to chase this for you if you're a constituent. Please DM my office. Patients shouldn't be left in limbo by the strike. #NHS",
                38,
            ),
            ("pub2", "Thank you. Will do. \U0001f64f", 6),
        ],
    ),
    (
        "dft",
        datetime(2026, 11, 18, 12, 14, 5, tzinfo=UTC),
        [
            (
                "pub1",
                "Train cancelled AGAIN this morning and now a rail strike on 1-2 December. I give up. #RailStrike",
                0,
            ),
            (
                "MeridianRail",
                "Sorry to hear this. This morning's train cancellations were caused by a signalling fault. DM us your journey details and we'll help with delay repay.",
                17,
            ),
            (
                "pub1",
                "It's not the delay repay I want, it's a train that turns up. Third cancellation this week.",
                8,
            ),
            (
                "pub2",
                "Same on my line. Cancelled trains every single day and fares still going up. #RailStrike",
                25,
            ),
            (
                "MeridianRail",
                "We understand your frustration. We're working with Network Rail to fix the fault and reduce delays on the line.",
                31,
            ),
            (
                "pub1",
                "Appreciate the reply, genuinely. Just exhausted by it all. \U0001f61e #RailStrike",
                12,
            ),
        ],
    ),
    (
        "mhclg",
        datetime(2026, 11, 10, 19, 41, 22, tzinfo=UTC),
        [
            (
                "pub1",
                "Week 3 of black mould in the baby's room. Landlord says it's 'lifestyle' and to dry clothes outside. In November. #Renters",
                0,
            ),
            (
                "RentersVoiceUK",
                "That's not acceptable. Damp and mould is a hazard your landlord has to fix. Report it to your council's environmental health team and keep photos. #Renters",
                43,
            ),
            (
                "pub1",
                "Thank you. I'm scared if I complain he'll serve a section 21. That's what happened to my friend.",
                15,
            ),
            (
                "RentersVoiceUK",
                "Retaliatory eviction is a real fear. If the council serves an improvement notice, a section 21 can't be used for six months. DM us for free advice.",
                22,
            ),
            (
                "pub2",
                "Landlord here: that's a terrible landlord. Most of us would deal with damp and mould straight away.",
                70,
            ),
            (
                "pub1",
                "Update: the council inspector is coming Thursday. Thank you all \u2764\ufe0f #Renters",
                1300,
            ),
        ],
    ),
    (
        "dfe",
        datetime(2026, 11, 13, 16, 5, 9, tzinfo=UTC),
        [
            (
                "pub1",
                "Today my son's EHCP tribunal was adjourned for the second time because the council didn't send its evidence. He's been out of school since May. #SEND",
                0,
            ),
            (
                "SENDFamiliesNet",
                "We're so sorry. Adjournments because of council delays are far too common. You can ask the tribunal to bar late evidence. Our helpline can explain how. #SEND",
                35,
            ),
            (
                "pub1",
                "Didn't know that. Thank you. We've been fighting for 18 months and I'm running on empty.",
                12,
            ),
            (
                "pub2",
                "SENCo here. The system is failing families like yours and it's failing schools too. SEND funding just isn't there.",
                64,
            ),
            (
                "PriyaRamaswell",
                "This is happening far too often. I'm raising EHCP tribunal delays with the minister at questions next week. #SEND",
                180,
            ),
            ("pub1", "Thank you. Please do. \U0001f499", 25),
        ],
    ),
    (
        "desnz",
        datetime(2026, 11, 17, 9, 48, 51, tzinfo=UTC),
        [
            (
                "pub1",
                "Just opened the letter from my supplier. Standing charge going up again in January. I live alone in a one-bed flat. #EnergyBills",
                0,
            ),
            (
                "BrightwattHelp",
                "Hi, the standing charge is set within Ofgem's price cap and applies across suppliers. If you're struggling, our support fund may be able to help: please DM us.",
                26,
            ),
            (
                "pub1",
                "So the answer is 'not our fault'. The standing charge is still the standing charge.",
                9,
            ),
            (
                "pub2",
                "Same here. Low user, high standing charge. It's the least fair bit of the whole bill. #EnergyBills",
                40,
            ),
        ],
    ),
    (
        "dft",
        datetime(2026, 11, 15, 10, 2, 33, tzinfo=UTC),
        [
            (
                "pub1",
                "The pothole outside our house has been there so long the kids have named it. It's called Gary. #Potholes",
                0,
            ),
            ("pub2", "\U0001f602 We've got one called The Crater. Reported 6 times. #Potholes", 21),
            (
                "DaveKershawMP",
                "Send me the location and I'll chase the council. Rural roads deserve better than this. #Potholes",
                95,
            ),
            ("pub1", "Done, thank you! Gary's days are numbered \U0001f389", 14),
        ],
    ),
    (
        "dhsc",
        datetime(2026, 11, 19, 8, 3, 12, tzinfo=UTC),
        [
            (
                "pub1",
                "Tried to book a GP appointment for my 2 year old with a temperature of 39. Told to call back tomorrow at 8. #NHS",
                0,
            ),
            (
                "pub2",
                "Call 111 if you're worried, they can book you in somewhere today. Hope your little one feels better \u2764\ufe0f",
                7,
            ),
            (
                "pub1",
                "Thank you. 111 got us a slot at the urgent treatment centre. She's fine, just a virus. But the GP system is broken. #NHS",
                210,
            ),
        ],
    ),
    (
        "mhclg",
        datetime(2026, 11, 20, 12, 30, 0, tzinfo=UTC),
        [
            (
                "NaomiOkonjoMP",
                "Our response to the consultation on ending section 21 is in. Renters in Millbrook Central have waited long enough. #RentersRights",
                0,
            ),
            (
                "pub1",
                "What about landlords who need to sell? Section 21 was the only quick route. #RentersRights",
                33,
            ),
            (
                "NaomiOkonjoMP",
                "Selling will still be a ground for possession. What goes is eviction for no reason at all.",
                48,
            ),
            (
                "pub2",
                "Thank you for this. I was served a section 21 last year for asking for a boiler repair. #Renters",
                19,
            ),
        ],
    ),
    (
        "dfe",
        datetime(2026, 11, 16, 11, 20, 0, tzinfo=UTC),
        [
            (
                "FullPlatesUK",
                "Half a million children in poverty still miss out on free school meals because of the income threshold. #FreeSchoolMeals",
                0,
            ),
            (
                "pub1",
                "I see it every day. Kids just above the free school meals line with nothing in their lunchbox.",
                44,
            ),
            (
                "FullPlatesUK",
                "Thank you for everything you do. This is exactly why automatic enrolment matters. #FreeSchoolMeals",
                61,
            ),
        ],
    ),
]

LONG_POSTS: list[tuple[str, str, str, object]] = [
    # (department, author username or persona stem, full text, when)
    (
        "dfe",
        "send",
        (
            "Long one, sorry. My son is 9 and autistic. We applied for an EHCP in January. The legal deadline is 20 weeks. "
            "We got a draft plan in September with no school named, and a provision section that had been copied from another "
            "child's plan (it had a girl's name in it). We appealed. The SEND tribunal is listed for next April.\n\n"
            "In the meantime he has been out of school since May, I've given up my job, and we've been offered five hours a "
            "week of online tuition. Every professional we meet is kind. The system they work in is not.\n\n"
            "If you're in the same boat: you're not alone, keep every email, and ask for everything in writing. #SEND"
        ),
        "w47",
    ),
    (
        "mhclg",
        "NaomiOkonjoMP",
        (
            "Today I met the Patel family in Millbrook. Two children, both parents working, never missed a rent payment in six "
            "years. Last month they were served a section 21 notice so the landlord could re-let the flat for \u00a3400 more a month.\n\n"
            "They did nothing wrong. Under the law as it stands, they have no defence. The council has offered a single room in a "
            "hotel 40 minutes from the children's school.\n\n"
            "This is why the ban on no-fault evictions matters, and why it can't be delayed or diluted. I'll be raising their case "
            "(with their permission) in the House this week. #RentersRights"
        ),
        "w46",
    ),
    (
        "dft",
        "commuter",
        (
            "So let me get this straight. In the last four weeks my train has been cancelled eleven times, delayed on nine more "
            "days, and the 'improved' timetable means the last train home now leaves at 22:10. Season ticket: \u00a34,860.\n\n"
            "Now there's a rail strike on 1 and 2 December, the two days I'm booked to train new starters in the office.\n\n"
            "I don't even blame the staff. I blame a system where nobody is ever responsible for anything. Fix the railway. "
            "#RailStrike"
        ),
        ("dft", 400),
    ),
]

OPEN_LETTER = (
    "An open letter to the Secretary of State for Health and Social Care, from Carers Together and the carers we support.\n\n"
    "Dear Secretary of State,\n\n"
    "We are writing to you this Carers Rights Day on behalf of the millions of people in England who look after a relative, "
    "partner or friend who is ill, disabled or frail. Most of them never chose the word carer. They became one at a kitchen "
    "table, or in a hospital corridor, when someone they love could no longer manage alone and there was nobody else to step in.\n\n"
    "Every week our helpline hears from carers who are at breaking point. Last month a woman in her seventies told us she had "
    "not slept more than four hours a night since her husband came home from hospital, because the package of social care he "
    "was promised never arrived. A young man who cares for his mum after a stroke told us he had turned down a place at "
    "university because the local authority could not say when her support would start. A father of a disabled teenager told "
    "us he had been waiting eleven months for an assessment, during which he gave up his job and the family fell behind on "
    "their rent. These are not unusual stories. They are the ordinary reality of social care in this country.\n\n"
    "Unpaid carers save the public purse billions of pounds every year. In return, the main carers' benefit pays less than "
    "three pounds an hour for a minimum of thirty-five hours of care a week, and cuts off entirely if a carer earns a little "
    "too much from part-time work. Respite services have closed or been rationed in almost every area we work in. Carers' "
    "assessments are delayed, or happen and lead to nothing. Carers tell us again and again that they feel invisible until "
    "something goes wrong, and then they are blamed for it.\n\n"
    "The care workforce is in no better shape. Home care workers are paid close to the minimum wage for some of the most "
    "skilled and intimate work in our society, often unpaid for the time they spend travelling between visits. Vacancies run "
    "into the tens of thousands. When a care agency hands back a contract because it cannot recruit, it is family carers who "
    "fill the gap, overnight and without training.\n\n"
    "Behind every statistic is a person. In one town we work in, the only day centre for adults with dementia closed in the "
    "spring. Forty families lost the one day a week that let them shop, see a doctor, or simply sleep. The council told us it "
    "had no choice. Some of those carers have since told us they are taking antidepressants for the first time in their lives. "
    "Others have cut their hours at work, or given up altogether, and now worry about how they will heat their homes this "
    "winter. When support is taken away, the need does not disappear: it moves into someone's living room.\n\n"
    "We know that reform has been promised by successive governments. We know that commissions have been set up and reports "
    "written. We welcome the work that has begun. But carers cannot wait for another review. They need action this winter, "
    "and they need a plan they can believe in.\n\n"
    "We ask you to do four things. First, raise the carers' benefit and the earnings limit so that no carer is pushed into "
    "poverty for caring. Second, guarantee every carer a right to regular breaks, with funding for councils to provide them. "
    "Third, set out a fair pay agreement for care workers, with a timetable, so that the workforce our families rely on can be "
    "recruited and kept. Fourth, make sure that no one is discharged from hospital without a care plan that is in place on the "
    "day they go home, not weeks later.\n\n"
    "None of these ideas is new. All of them are affordable when set against the cost of carers breaking down, giving up work "
    "and needing care themselves. And all of them would tell carers something they rarely hear: that the country sees what "
    "they do, and values it.\n\n"
    "We would welcome the chance to meet you, with carers from across England, to discuss these proposals. Our door is open, "
    "and so is our helpline, seven days a week, for every carer who needs it.\n\n"
    "Yours sincerely,\n\n"
    "The trustees, staff and members of Carers Together #SocialCare #NHS"
)

HOSTILE_TEXT = (
    "Waited 14 hours in A&E with my nan last night <script>alert('xss')</script> "
    "<img src=x onerror=alert(1)> & nobody cares \u0007 #NHS @NHSEngland"
)

CONSULTATION_MHCLG = "Renters' Rights: ending section 21 evictions"
CONSULTATION_DFE = "SEND: improving the EHCP process"
# (respondent_type, organisation, response_text)
RESPONSES_MHCLG: list[tuple[str, str, str]] = [
    (
        "tenant",
        "",
        "I have rented privately for 11 years and moved 6 times, twice because of section 21 notices served after I asked for repairs. Ending no-fault evictions would let my children finish primary school in one place.",
    ),
    (
        "tenant",
        "",
        "Yes, abolish section 21. But please also limit how much rent can go up each year, otherwise landlords will just use huge rent increases to force people out instead.",
    ),
    (
        "tenant",
        "",
        "Our landlord gave us two months' notice the week after we reported damp and mould to the council.\nWe had nowhere to go and ended up in temporary accommodation for five months.\nNobody should go through that.",
    ),
    (
        "tenant",
        "",
        "Support the proposal. The current system means you can never complain about anything.",
    ),
    (
        "tenant",
        "",
        "I'm a tenant and I'm worried the new grounds for possession are too broad. If a landlord can claim they're \"selling\" and then re-let the property a few months later, what has actually changed? There needs to be a real penalty for misuse.",
    ),
    (
        "tenant",
        "",
        "Section 21 has hung over my head for 8 years. I want to be able to put a picture up without asking permission, and to stop bracing myself every time the letterbox goes.",
    ),
    (
        "tenant",
        "",
        "Fully support. Please make sure the rules apply to existing tenancies from day one, not just new ones.",
    ),
    (
        "tenant",
        "",
        "As a disabled tenant, moving is not just expensive, it's dangerous for my health. Adaptations I paid for myself were lost when I was evicted under section 21 in 2023. Security of tenure matters.",
    ),
    (
        "tenant",
        "",
        "The proposal is good, but enforcement is everything. My council has one environmental health officer for 30,000 private rented homes. Who will actually enforce this?",
    ),
    (
        "tenant",
        "",
        'We were served a "no-fault" notice because the landlord wanted to re-let at \u00a3400 more a month. There is nothing no-fault about it for us.',
    ),
    (
        "tenant",
        "",
        "I agree with ending section 21 evictions. I would also like the ombudsman to have real powers, and for deposits to be transferable between tenancies.",
    ),
    ("tenant", "", "Please don't water this down. Tenants have waited years."),
    (
        "tenant",
        "",
        "I'm a student renter. Student lets are treated differently in the proposals and I don't understand why. We get mould, broken heating and unfair deductions too.",
    ),
    (
        "tenant",
        "",
        "Not sure it goes far enough. Rent increases are the new section 21. Without limits on increases, the ban is easy to get around.",
    ),
    (
        "tenant",
        "",
        "Support. I'm 58 and have rented all my life. I'd like to know I won't be made homeless at 70.",
    ),
    (
        "tenant",
        "",
        "Moved 4 times in 5 years, all section 21. My kids have been to 4 different schools. Please, just do it.",
    ),
    (
        "tenant",
        "",
        "My landlord is great, but he's 74 and his children will inherit the house.\n\nI'm worried about what happens then. Will the new rules protect me if the property is sold with me in it?",
    ),
    (
        "landlord",
        "",
        "I own one flat, which is my pension. I have never served a section 21 notice and hope I never have to. But if a tenant stops paying, I cannot wait 12 months for a court date while still paying the mortgage. Fix the courts first, then abolish section 21.",
    ),
    (
        "landlord",
        "Ridgeway Lettings Ltd",
        "We manage 140 properties for private landlords. Several clients have already told us they will sell rather than let under the new rules. We expect the supply of rented homes in our area to fall, pushing rents up for the very tenants these changes are meant to protect.",
    ),
    (
        "landlord",
        "",
        "The anti-social behaviour ground must be workable. At the moment it can take over a year to remove a tenant who is making neighbours' lives a misery, even with police evidence.",
    ),
    (
        "landlord",
        "",
        "I support ending no-fault evictions in principle. Good landlords have nothing to fear. My concern is purely about court capacity.",
    ),
    (
        "landlord",
        "",
        "Why should I be forced to keep a tenant I don't want in my own property? This is nationalisation of private property by the back door.",
    ),
    (
        "landlord",
        "Northfield Property Partners",
        "Mandatory grounds for sale and for moving in family members are essential, and must not be subject to lengthy notice periods. The proposed 12-month protected period is too long for small landlords, whose circumstances can change quickly.",
    ),
    (
        "landlord",
        "",
        "I'm an accidental landlord - I inherited my mum's house and rent it to a lovely family. I'm fine with the changes. Most of the scare stories I read online don't match the actual proposals.",
    ),
    (
        "landlord",
        "",
        "Please consider the impact on student lets. We need to know the property will be vacant for the next academic year, or we can't let it at all.",
    ),
    (
        "landlord",
        "",
        "Section 21 is used because section 8 doesn't work. Reform section 8 properly, with fixed court timescales, and most landlords will accept the change.",
    ),
    (
        "landlord",
        "Castlegate Residential",
        "We support the principle but the timetable is unrealistic.\nLandlords, agents and courts need at least 12 months to prepare, and the guidance has not yet been published.",
    ),
    (
        "landlord",
        "",
        "Rent arrears ground: two months is too high a threshold. Many tenants pay just enough to stay under it. One month plus a pattern of late payment would be fairer.",
    ),
    (
        "landlord",
        "",
        "The changes are reasonable. I've been letting for 20 years and only served section 21 twice, both times because I needed to sell. Both situations are covered in the new system, so I don't see the problem.",
    ),
    (
        "landlord",
        "",
        "I will be selling my two properties next year. The combination of tax changes, EPC requirements and now this makes it not worth it.",
    ),
    (
        "landlord",
        "Harbourside Student Homes",
        "Purpose-built student accommodation should remain exempt, and the exemption should be extended to HMOs let to full-time students. Otherwise the annual cycle of student lets breaks down.",
    ),
    ("landlord", "", "Fine by me, as long as the courts work. They don't, currently."),
    (
        "individual",
        "",
        "I'm not a landlord or a tenant, but my daughter has been evicted twice. It's about time.",
    ),
    (
        "individual",
        "",
        "This is the right thing to do. A home should be a home, not a six-month contract.",
    ),
    (
        "individual",
        "",
        "I think the government should focus on building more social housing rather than more regulation of private landlords. The real problem is supply.",
    ),
    (
        "individual",
        "",
        "Agree with the proposals. However, the consultation document is very long and difficult to understand. A plain English summary would help more people respond.",
    ),
    (
        "individual",
        "",
        "Ending section 21 is long overdue. Scotland did it years ago and the sky didn't fall in.",
    ),
    (
        "individual",
        "",
        "I am concerned that landlords will leave the market and there will be fewer homes to rent. Has the impact on supply been properly assessed?",
    ),
    ("individual", "", "Yes.\n\nEnd it. Now."),
    (
        "individual",
        "",
        "My son is a landlord and he's worried. My granddaughter is a renter and she's worried. Both of them just want the rules to be clear and fair, and the courts to work.",
    ),
    (
        "individual",
        "",
        "Please include protections for people in temporary accommodation provided by councils, who currently have almost no security at all.",
    ),
    (
        "individual",
        "",
        "Neutral on the main proposal, but strongly support the new database of landlords. Tenants should be able to check a landlord's record before signing.",
    ),
    (
        "individual",
        "",
        "I rent out a room in my own home. Please confirm lodgers are not covered, as the consultation doesn't say clearly.",
    ),
    (
        "individual",
        "",
        "It's called \"renters' rights\", but what about neighbours' rights? We had a nightmare tenant next door for 2 years. Please make the anti-social behaviour ground quicker.",
    ),
    (
        "organisation",
        "Renters' Voice",
        "Renters' Voice strongly supports the abolition of section 21. Our helpline took 14,200 calls last year from renters facing no-fault eviction; almost a third had recently asked for a repair.\nWe urge the government to:\n- close the loophole that lets rent increases be used as eviction by the back door;\n- fund councils to enforce the new rules; and\n- bring the changes in for all tenancies on the same day.",
    ),
    (
        "organisation",
        "Hearthstone Housing Trust",
        "Section 21 is now the single biggest trigger of homelessness from the private rented sector. Every week our services support families who have done nothing wrong and lost their home. Ending it will prevent homelessness at source.",
    ),
    (
        "organisation",
        "Cartref Cymru Action",
        "Wales has already moved to longer notice periods. Our experience is that the predicted mass sell-off did not happen. We would encourage England to learn from Wales.",
    ),
    (
        "organisation",
        "National Landlords' Forum",
        "Our members support a fair system. However, the abolition of section 21 must not take effect until the county court possession process has been digitised and average times brought below 8 weeks.",
    ),
    (
        "organisation",
        "Millbrook Advice Centre",
        "Debt and housing advisers see the same pattern: a section 21 notice, a scramble to find a deposit and rent in advance, and a slide into debt. We support the proposals and recommend a hardship fund for tenants forced to move.",
    ),
    (
        "organisation",
        "Tenants Together North",
        "Our members want three things: an end to no-fault evictions, limits on in-tenancy rent increases, and a proper decent homes standard for private rentals. This consultation delivers the first. We'll keep campaigning for the others.",
    ),
    (
        "organisation",
        "Guild of Letting Agents",
        "Agents will need clear, early guidance and model tenancy agreements. We also ask that the new periodic tenancy does not rule out fixed terms where both parties want them, for example for corporate lets.",
    ),
    (
        "organisation",
        "Carers Together",
        "Unpaid carers who rent are particularly exposed to eviction, as moving can break fragile care arrangements. We support the proposals.",
    ),
    (
        "organisation",
        "Northside Tenants Union",
        'Landlords have had 35 years of section 21. Tenants have had 35 years of insecurity. Enough. We support the ban "without exception and without delay".',
    ),
    (
        "organisation",
        "Brickline Developments",
        "Build-to-rent operators already offer longer tenancies and rarely use section 21. We support the reforms, and believe professional landlords will gain market share.",
    ),
    (
        "organisation",
        "Patients First Alliance",
        "Poor housing and insecure tenancies are a health issue. Damp and mould and repeated moves affect children's health and education. We support the end of section 21.",
    ),
    (
        "organisation",
        "Faith in Housing Network",
        "We welcome the proposals. Many of the people who come to our night shelters were evicted under section 21 and never recovered from it.",
    ),
    (
        "local authority",
        "Millbrook City Council",
        "Section 21 is the main reason households approach us as homeless. In 2025/26, 38% of our homelessness duties were triggered by the end of a private tenancy. We support the proposals but need funding to enforce them; our private sector housing team has two full-time officers.",
    ),
    (
        "local authority",
        "Eastwick Borough Council",
        "We support the reform. We are concerned about the interaction with homelessness law: councils currently advise tenants to wait for a court order before leaving, which causes distress and cost. Clear guidance would help.",
    ),
    (
        "local authority",
        "Caddon Vale District Council",
        "We are a rural district with high second-home ownership. We expect some landlords to switch to holiday lets, and ask the government to consider giving councils powers to limit this.",
    ),
    (
        "local authority",
        "Wexcombe County Council",
        "The new landlord database must be shared with local authorities, with real-time access, or it will be of little use for enforcement.",
    ),
    (
        "local authority",
        "Thornley Moor Council",
        "We support ending no-fault evictions. However, temporary accommodation costs have tripled in 3 years, and a surge in section 21 notices before the ban would be very difficult for us to absorb.",
    ),
    (
        "local authority",
        "Harbour Cross Borough Council",
        "Agree. Enforcement funding should be ring-fenced and multi-year, not annual competitive bids.",
    ),
]
RESPONSES_DFE: list[tuple[str, str, str]] = [
    (
        "individual",
        "",
        "Our EHCP took 47 weeks. The 20-week deadline means nothing when there's no consequence for missing it.",
    ),
    (
        "organisation",
        "SEND Families Network",
        "We support a national template for EHCPs. Families tell us that plans vary hugely between councils and are often vague about provision, which leads to tribunals that could be avoided.",
    ),
    (
        "local authority",
        "Millbrook City Council",
        "Demand for EHC needs assessments has risen by 60% in five years, while the number of educational psychologists has fallen. We cannot meet statutory timescales without more capacity.",
    ),
    (
        "organisation",
        "National Teachers' Alliance",
        'Mainstream schools want to be inclusive but lack the funding, training and specialist staff to meet needs. "Earlier support without a plan" is only possible if it is properly resourced.',
    ),
    (
        "individual",
        "",
        "As a SENCo I spend most of my week on paperwork rather than supporting children.\nPlease simplify the annual review process.",
    ),
    (
        "individual",
        "",
        "Please don't remove the legal entitlement that EHCPs give. It's the only protection our children have.",
    ),
    (
        "organisation",
        "Eastwick Parent Carer Forum",
        "Parent carer forums should be involved in designing the new process from the start, not consulted at the end.",
    ),
]


# ---------------------------------------------------------------------------
# The reference matcher: the same idea of a token as listener.textnorm, and the
# same watch semantics as listener.querymatch (a word also matches its hashtag).
# ---------------------------------------------------------------------------

_TOKEN = re.compile(r"[#@]*\w[\w#@]*")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            continue
        out.append(" " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs") else char)
    return unicodedata.normalize("NFC", "".join(out))


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def _forms(word: str) -> tuple[str, ...]:
    return (word,) if word[0] in "#@" else (word, "#" + word)


@dataclass(frozen=True)
class Doc:
    tokens: tuple[str, ...]
    author: str

    @property
    def token_set(self) -> frozenset[str]:
        return frozenset(self.tokens)


def _has_phrase(doc: Doc, words: list[str]) -> bool:
    forms = [_forms(w) for w in words]
    toks = doc.tokens
    return any(
        all(toks[i + k] in forms[k] for k in range(len(forms)))
        for i in range(len(toks) - len(forms) + 1)
    )


def _parse_query(query: str) -> Any:
    """Parse the subset of the query syntax the config uses: ( ) OR -x "phrase" word."""
    lexed = re.findall(r'\(|\)|-?"[^"]*"|-?[^\s()"]+', query)
    pos = 0

    def parse_or() -> object:
        nonlocal pos
        alts = [parse_and()]
        while pos < len(lexed) and lexed[pos] == "OR":
            pos += 1
            alts.append(parse_and())
        return ("or", alts) if len(alts) > 1 else alts[0]

    def parse_and() -> object:
        nonlocal pos
        items = []
        while pos < len(lexed) and lexed[pos] not in (")", "OR"):
            items.append(parse_unary())
        return ("and", items) if len(items) > 1 else items[0]

    def parse_unary() -> object:
        nonlocal pos
        tok = lexed[pos]
        if tok == "(":
            pos += 1
            node = parse_or()
            pos += 1  # ")"
            return node
        pos += 1
        neg = tok.startswith("-")
        tok = tok.removeprefix("-").strip('"')
        words = tokenize(tok)
        node = ("phrase", words) if len(words) > 1 else ("word", words[0])
        return ("not", node) if neg else node

    return parse_or()


def _eval(node: Any, doc: Doc) -> bool:
    kind, arg = node
    if kind == "word":
        return not doc.token_set.isdisjoint(_forms(arg))
    if kind == "phrase":
        return _has_phrase(doc, arg)
    if kind == "not":
        return not _eval(arg, doc)
    if kind == "and":
        return all(_eval(n, doc) for n in arg)
    return any(_eval(n, doc) for n in arg)


class WatchMatcher:
    def __init__(self) -> None:
        self.rules: list[tuple[str, str, object]] = []
        for dept, watch in WATCHES.items():
            for tag in watch["hashtags"]:
                self.rules.append((dept, "hashtag", normalise(tag)))
            for kw in watch["keywords"]:
                self.rules.append((dept, "keyword", tokenize(kw)))
            for q in watch["queries"]:
                self.rules.append((dept, "query", _parse_query(q)))
            for acc in watch["accounts"]:
                self.rules.append((dept, "account", normalise(acc)))

    def match(self, text: str, author: str = "") -> list[str]:
        doc = Doc(tuple(tokenize(text)), normalise(author))
        found: list[str] = []
        for dept, kind, arg in self.rules:
            if dept in found:
                continue
            if kind == "hashtag":
                ok = arg in doc.token_set
            elif kind == "keyword":
                ok = _has_phrase(doc, arg)  # type: ignore[arg-type]
            elif kind == "query":
                ok = _eval(arg, doc)
            else:
                ok = doc.author == arg
            if ok:
                found.append(dept)
        return found


MATCHER = WatchMatcher()

# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    id: str
    name: str
    username: str
    kind: str
    description: str
    location: str
    created_at: datetime
    verified_type: str
    followers: int
    following: int
    tweet_count: int
    listed: int
    likes: int
    depts: tuple[str, ...]
    site: str = ""
    url: str = ""
    lang: str = "en"
    curly: bool = False
    activity: float = 1.0
    stem: str = ""
    image: str = ""


@dataclass(eq=False)
class Post:
    seq: int
    author: User
    time: datetime
    text: str
    kind: str = "original"  # original | reply | quote | retweet
    dept: str | None = None  # intended department (None: noise)
    lang: str = "en"
    parent: Post | None = None
    root: Post | None = None
    full_text: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (t.co url, expanded url)
    label: str = ""
    id: str = ""
    n_rt: int = 0
    n_reply: int = 0
    n_quote: int = 0
    metrics: dict[str, int] = field(default_factory=dict)

    @property
    def match_text(self) -> str:
        """What a watch is matched against (listener adds the original to a retweet)."""
        own = self.full_text or self.text
        if self.kind == "retweet" and self.parent is not None:
            return own + "\n" + (self.parent.full_text or self.parent.text)
        return own


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.users: list[User] = []
        self.by_name: dict[str, User] = {}
        self.posts: list[Post] = []
        self.used_codes: set[str] = set()
        self.used_ids: set[str] = set()
        self.fixups = 0
        self.used_stems: set[str] = set()

    # ----- helpers
    def code(self, n: int = 10) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        while True:
            c = "".join(self.rng.choice(alphabet) for _ in range(n))
            if c not in self.used_codes:
                self.used_codes.add(c)
                return c

    def snowflake(self, when: datetime) -> int:
        ms = int(when.timestamp() * 1000) + self.rng.randrange(1000)
        return (
            ((ms - TWITTER_EPOCH_MS) << 22)
            | (self.rng.randrange(32) << 17)
            | (self.rng.randrange(32) << 12)
            | self.rng.randrange(4096)
        )

    def sample_time(self, start: datetime = START, end: datetime = END) -> datetime:
        span = (end - start).total_seconds()
        while True:
            t = start + timedelta(seconds=self.rng.random() * span)
            if self.rng.random() * max(HOUR_WEIGHTS) <= _hour_weight(t):
                return t.replace(microsecond=0)

    def sample_after(self, t0: datetime, mean_hours: float, limit: datetime = END) -> datetime:
        for _ in range(200):
            t = t0 + timedelta(seconds=60 + self.rng.expovariate(1.0 / (mean_hours * 3600)))
            if t > limit:
                continue
            if self.rng.random() * max(HOUR_WEIGHTS) <= _hour_weight(t):
                return t.replace(microsecond=0)
        return min(limit, t0 + timedelta(minutes=self.rng.randint(2, 30))).replace(microsecond=0)

    def when(self, spec: object) -> datetime:
        if spec is None:
            return self.sample_time()
        if isinstance(spec, tuple) and isinstance(spec[0], datetime):
            return self.sample_time(spec[0], spec[1])
        if spec == "w46":
            return self.sample_time(START, WEEK47 - timedelta(seconds=1))
        if spec == "w47":
            return self.sample_time(WEEK47, END)
        dept, minutes = cast(tuple[str, int], spec)  # minutes after that department's event
        anchor = {"dhsc": DHSC_STRIKE, "dft": DFT_STRIKE, "desnz": DESNZ_OFGEM}[dept]
        return (anchor + timedelta(minutes=minutes, seconds=self.rng.randint(0, 59))).replace(
            microsecond=0
        )

    # ----- users
    def build_users(self) -> None:
        rng = self.rng
        for kind, username, name, desc, loc, vtype, followers, depts, site in ORG_ACCOUNTS:
            created = datetime(2009, 3, 1, tzinfo=UTC) + timedelta(
                days=rng.randint(0, 4200), seconds=rng.randint(0, 86399)
            )
            self.add_user(
                User(
                    id="",
                    name=name,
                    username=username,
                    kind=kind,
                    description=desc,
                    location=loc,
                    created_at=created,
                    verified_type=vtype,
                    followers=followers,
                    following=rng.randint(150, 2500),
                    tweet_count=rng.randint(3000, 60000),
                    listed=max(10, followers // rng.randint(40, 120)),
                    likes=rng.randint(200, 15000),
                    depts=depts,
                    site=site,
                    activity=1.0,
                )
            )
        names_used: set[tuple[str, str]] = set()
        n_public = 100 - len(LANG_USERS)
        for i in range(n_public):
            bio, depts, stem = PERSONAS[i % len(PERSONAS)]
            while True:
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                if (first, last) not in names_used and f"{first} {last}" not in FAMOUS_NAMES:
                    names_used.add((first, last))
                    break
            handle = self.public_handle(first, last, stem)
            style = rng.random()
            if stem and handle.startswith(tuple(NICK_STEMS.get(stem, []))):
                name = rng.choice(
                    [
                        first,
                        f"{first} {last[0]}.",
                        f"{first} \U0001f33b",
                        f"{first} | {bio.split('.')[0][:18]}",
                    ]
                )
            elif style < 0.15:
                name = f"{first} {last} \U0001f1ec\U0001f1e7"
            else:
                name = f"{first} {last}"
            self.add_user(
                self.public_user(name, handle, bio, rng.choice([*PLACES, ""]), depts, stem)
            )
        for name, handle, loc, lang in LANG_USERS:
            depts = ("dhsc", "dft", "desnz", "mhclg", "dfe")
            user = self.public_user(name, handle, LANG_BIOS[lang], loc, depts, "")
            user.lang = lang
            self.add_user(user)

    def public_handle(self, first: str, last: str, stem: str) -> str:
        rng = self.rng
        for _ in range(100):
            roll = rng.random()
            unused = [n for n in NICK_STEMS.get(stem, []) if n not in self.used_stems]
            if unused and roll < 0.45:
                nick = rng.choice(unused)
                self.used_stems.add(nick)
                handle = nick + rng.choice(["", "", str(rng.randint(1, 99)), "_"])
            elif roll < 0.65:
                handle = f"{first}{last}{rng.randint(1, 99)}"
            elif roll < 0.8:
                handle = f"{first.lower()}_{last.lower()[:7]}"
            elif roll < 0.9:
                handle = f"{first[0]}{last}{rng.choice(['', '', 'UK', '_', '1'])}"
            else:
                handle = f"{first.lower()}{last.lower()}{rng.randint(1960, 2004)}"
            if len(handle) <= 15 and handle.lower() not in {u.username.lower() for u in self.users}:
                return handle
        raise RuntimeError("could not make a unique handle")

    def public_user(
        self, name: str, handle: str, bio: str, loc: str, depts: tuple[str, ...], stem: str
    ) -> User:
        rng = self.rng
        followers = int(rng.lognormvariate(math.log(260), 1.1))
        created = datetime(2009, 6, 1, tzinfo=UTC) + timedelta(
            days=rng.randint(0, 6000), seconds=rng.randint(0, 86399)
        )
        vtype = "blue" if rng.random() < 0.06 else "none"
        return User(
            id="",
            name=name,
            username=handle,
            kind="public",
            description=bio,
            location=loc,
            created_at=created,
            verified_type=vtype,
            followers=followers,
            following=int(rng.lognormvariate(math.log(400), 0.8)),
            tweet_count=int(rng.lognormvariate(math.log(4000), 1.2)),
            listed=rng.randint(0, 12),
            likes=int(rng.lognormvariate(math.log(9000), 1.0)),
            depts=depts,
            curly=rng.random() < 0.3,
            activity=rng.lognormvariate(0, 0.7),
            stem=stem,
        )

    def add_user(self, user: User) -> None:
        assert re.fullmatch(r"\w{1,15}", user.username), user.username
        if user.created_at.year >= 2021:  # newer accounts have snowflake ids like tweets
            uid = str(self.snowflake(user.created_at))
        else:
            uid = str(
                15_000_000
                + (user.created_at - datetime(2009, 1, 1, tzinfo=UTC)).days * 180_000
                + self.rng.randrange(170_000)
            )
        while uid in self.used_ids:
            uid = str(int(uid) + 1)
        self.used_ids.add(uid)
        user.id = uid
        if user.kind != "public" or self.rng.random() < 0.2:
            user.url = "https://t.co/" + self.code()
        user.image = f"https://pbs.twimg.com/profile_images/{self.snowflake(user.created_at + timedelta(days=400))}/{self.code(8)}_normal.jpg"
        self.users.append(user)
        self.by_name[user.username] = user

    def pick_public(
        self, dept: str | None, exclude: tuple[User, ...] = (), lang: str = "en"
    ) -> User:
        pool = [u for u in self.users if u.kind == "public" and u.lang == lang and u not in exclude]
        weights = [u.activity * (6.0 if dept in u.depts else 1.0) for u in pool]
        return self.rng.choices(pool, weights)[0]

    def pick_stem(self, stem: str, dept: str) -> User:
        pool = [u for u in self.users if u.kind == "public" and u.stem == stem]
        return self.rng.choice(pool) if pool else self.pick_public(dept)

    # ----- text
    def site_url(self, user: User, text: str) -> str:
        words = [
            w
            for w in re.findall(r"[a-z0-9]+", text.lower())
            if w not in ("new", "breaking", "exclusive", "url")
        ]
        slug = "-".join(words[:7]) or "update"
        if user.kind == "government":
            base = (
                "https://www.gov.uk/government/news"
                if user.username != "NHSEngland"
                else "https://www.england.nhs.uk/2026/11"
            )
            return f"{base}/{slug}"
        if user.kind == "public":
            return f"https://www.theledger.example/news/{slug}-{self.rng.randint(100000, 999999)}"
        return f"{user.site.rstrip('/')}/{slug}"

    def finish(
        self, raw: str, author: User, dept: str | None, *, ensure: bool = True
    ) -> tuple[str, list[tuple[str, str]]]:
        """Fill {url} placeholders, apply the author's habits, and make sure it matches `dept`."""
        if ensure and dept is not None and dept not in MATCHER.match(raw.replace("{url}", "")):
            raw = raw.rstrip() + " " + self.rng.choice(WATCHES[dept]["hashtags"])
            self.fixups += 1
        links: list[tuple[str, str]] = []
        while "{url}" in raw:
            tco = "https://t.co/" + self.code()
            links.append((tco, self.site_url(author, raw)))
            raw = raw.replace("{url}", tco, 1)
        if author.curly and "<script>" not in raw:
            raw = raw.replace("'", RSQUO)
        return raw, links

    def vary(self, text: str, *, angry: bool = False) -> str:
        """Small, human variation for posts by the public: an opener or a closer."""
        rng = self.rng
        roll = rng.random()
        first = text.split(" ", 1)[0]
        if roll < 0.06 and first.lower() in LOWERCASE_STARTS:
            text = f"{rng.choice(OPENERS)} {text[0].lower()}{text[1:]}"
        elif roll < 0.095:
            text = f"{rng.choice(ANGRY_OPENERS if angry else STANDALONE_OPENERS)} {text}"
        elif roll < 0.18 and text.rstrip()[-1:] in ".!":
            tags = re.findall(r"\s#\w+$", text)
            body = text[: len(text) - len(tags[0])] if tags else text
            closer = rng.choice(ANGRY_CLOSERS if angry else CLOSERS)
            text = body + " " + closer + (tags[0] if tags else "")
        return text

    # ----- posts
    def add(self, author: User, when: datetime, text: str, **kw: object) -> Post:
        post = Post(seq=len(self.posts), author=author, time=when, text=text, **kw)  # type: ignore[arg-type]
        self.posts.append(post)
        return post

    def original(
        self,
        author: User,
        when: datetime,
        raw: str,
        dept: str | None,
        label: str = "",
        lang: str = "en",
        ensure: bool = True,
    ) -> Post:
        text, links = self.finish(raw, author, dept, ensure=ensure)
        return self.add(author, when, text, dept=dept, label=label, links=links, lang=lang)

    def build_originals(self) -> None:
        rng = self.rng
        per_dept_public = {"dhsc": 24, "dfe": 23, "desnz": 21, "mhclg": 23, "dft": 22}
        for dept, n in per_dept_public.items():
            days = [i % 14 for i in range(n)]  # a steady baseline: every day gets its share
            rng.shuffle(days)
            for raw, day in zip(rng.sample(PUBLIC_POSTS[dept], n), days, strict=True):
                author = self.pick_public(dept)
                self.original(
                    author,
                    self.sample_time(
                        START + timedelta(days=day),
                        START + timedelta(days=day + 1) - timedelta(seconds=1),
                    ),
                    self.vary(raw),
                    dept,
                )
        spike_counts = {"dhsc": 22, "dft": 24, "desnz": 20}
        for dept, n in spike_counts.items():
            for raw in rng.sample(SPIKE_POSTS[dept], n):
                author = self.pick_public(dept)
                if dept == "dhsc":
                    when, label = (
                        self.sample_after(DHSC_STRIKE, 6.0, DHSC_STRIKE + timedelta(hours=40)),
                        "spike",
                    )
                elif dept == "dft":
                    when, label = (
                        self.sample_after(DFT_STRIKE, 6.0, DFT_STRIKE + timedelta(hours=40)),
                        "spike",
                    )
                else:
                    when, label = self.sample_after(DESNZ_OFGEM, 40.0), "emerging"
                self.original(
                    author, when, self.vary(raw, angry=label == "spike"), dept, label=label
                )
        for raw in WEEK46_STANDING_CHARGE:
            self.original(self.pick_public("desnz"), self.when("w46"), raw, "desnz", label="early")
        org_days: dict[str, list[int]] = {}
        for username, raw, spec in ORG_POSTS:
            author = self.by_name[username]
            dept = _dept_of(raw, author)
            if spec is None:  # spread each department's official and press posts over the fortnight
                if not org_days.get(dept):
                    org_days[dept] = rng.sample(range(14), 14)
                day = org_days[dept].pop()
                spec = (START + timedelta(days=day), START + timedelta(days=day + 1, seconds=-1))
            label = ""
            if isinstance(spec, tuple):
                label = "emerging" if spec[0] == "desnz" else "spike"
            elif "standing charge" in raw.lower():
                label = "emerging"
            if author.kind == "journalist" and "{url}" not in raw and rng.random() < 0.4:
                raw += " {url}"
            self.original(author, self.when(spec), raw, dept, label=label)
        for depts, raw in CROSS_POSTS:
            author = self.pick_public(depts[0])
            post = self.original(author, self.sample_time(), raw, depts[0], label="cross")
            missing = [d for d in depts if d not in MATCHER.match(post.text)]
            assert not missing, (raw, missing)
        for dept, (raw, charity, week, n) in CAMPAIGNS.items():
            link_owner = self.by_name[charity]
            for i in range(n):
                author = self.pick_public(dept)
                text = raw if i == 0 else raw.replace(" #", rng.choice(CAMPAIGN_TWEAKS) + " #", 1)
                when = (
                    self.when(week or None)
                    if dept != "desnz"
                    else self.sample_after(DESNZ_OFGEM + timedelta(hours=30), 36.0)
                )
                post = self.original(
                    author,
                    when,
                    text,
                    dept,
                    label="campaign" + ("-emerging" if dept == "desnz" else ""),
                )
                post.links = [
                    (tco, self.site_url(link_owner, "take action " + dept)) for tco, _ in post.links
                ]
        for raw in rng.sample(NOISE_POSTS, 46):
            self.original(self.pick_public(None), self.sample_time(), raw, None, label="noise")
        for raw in EXCLUSION_POSTS:
            self.original(
                self.pick_public(None), self.sample_time(), raw, None, label="noise-excluded"
            )
        lang_users: dict[str, list[User]] = {}
        for u in self.users:
            lang_users.setdefault(u.lang, []).append(u)
        for lang, raw in NON_ENGLISH_POSTS:
            dept = _dept_of(raw, None)
            author = rng.choice(lang_users[lang])
            when = (
                self.sample_after(DFT_STRIKE, 12.0) if "RailStrike" in raw else self.sample_time()
            )
            self.original(author, when, raw, dept, lang=lang, label="non-english")
        # The hostile post and the long posts.
        hostile_author = self.pick_public("dhsc")
        hostile_author.curly = False
        self.original(
            hostile_author,
            datetime(2026, 11, 14, 23, 41, 7, tzinfo=UTC),
            HOSTILE_TEXT,
            "dhsc",
            label="hostile",
            ensure=False,
        )
        for dept, who, full, spec in LONG_POSTS:
            author = self.by_name.get(who) or self.pick_stem(who, dept)
            self.long_post(author, self.when(spec), full, dept, "long")
        letter_time = datetime(2026, 11, 20, 6, 30, 0, tzinfo=UTC)
        self.long_post(
            self.by_name["CarersTogether"], letter_time, OPEN_LETTER, "dhsc", "long-letter"
        )

    def long_post(self, author: User, when: datetime, full: str, dept: str, label: str) -> Post:
        full, links = self.finish(full, author, dept)
        cut = full[:277]
        cut = cut[: cut.rfind(" ")].rstrip(" ,.;:\n") + ELLIPSIS
        return self.add(author, when, cut, dept=dept, label=label, full_text=full, links=links)

    def build_threads(self) -> None:
        for dept, start, script in THREADS:
            cast: dict[str, User] = {}
            prev: Post | None = None
            root: Post | None = None
            when = start
            for who, raw, minutes in script:
                when = when + timedelta(minutes=minutes, seconds=self.rng.randint(0, 50))
                if who.startswith("pub"):
                    if who not in cast:
                        cast[who] = self.pick_public(dept, exclude=tuple(cast.values()))
                    author = cast[who]
                else:
                    author = self.by_name[who]
                if prev is None:
                    root = self.original(author, when, raw, dept, label="thread")
                    prev = root
                    continue
                assert root is not None
                text, links = self.finish(raw, author, dept, ensure=False)
                text = _reply_prefix(author, prev, root) + text
                prev = self.add(
                    author,
                    when,
                    text,
                    kind="reply",
                    dept=dept,
                    parent=prev,
                    root=root,
                    links=links,
                    label="thread",
                )

    def targets(self, *, for_retweet: bool) -> tuple[list[Post], list[float]]:
        weights = {
            "government": 9.0,
            "mp": 6.0,
            "journalist": 7.0,
            "charity": 5.0,
            "union": 6.0,
            "business": 1.2,
            "public": 0.55,
        }
        pool, ws = [], []
        for p in self.posts:
            if p.kind in ("retweet", "reply") or p.label in ("hostile", "noise-excluded"):
                continue
            if for_retweet and p.kind == "quote":
                continue
            w = weights[p.author.kind]
            if p.label in ("spike", "emerging", "campaign-emerging"):
                # the day's anger travels furthest; official statements get their usual share
                w *= 3.5 if p.author.kind == "public" else 1.3
            if p.label == "noise":
                w *= 0.5
            if p.lang != "en":
                w *= 0.5
            if p.label.startswith("long"):
                w *= 2.0
            if for_retweet and p.dept is not None and not MATCHER.match(_rt_text(p), ""):
                w = 0.0  # the truncated retweet text would lose what makes it on topic
            pool.append(p)
            ws.append(w)
        return pool, ws

    def build_replies_and_quotes(self) -> None:
        rng = self.rng
        pools = {k: list(v) for k, v in REPLY_POSTS.items()}
        generic = list(GENERIC_REPLIES)
        for pool in (*pools.values(), generic):
            rng.shuffle(pool)
        targets, weights = self.targets(for_retweet=False)
        reply_weights = [
            w if t.label != "noise" else w * 0.3 for t, w in zip(targets, weights, strict=True)
        ]
        made = 0
        while made < 20:
            parent = rng.choices(targets, reply_weights)[0]
            if parent.time > END - timedelta(hours=2):
                continue
            dept = parent.dept
            key = (
                "desnz-w47"
                if dept == "desnz"
                and parent.label.startswith(("emerging", "campaign-emerging"))
                and parent.time >= WEEK47
                else dept
            )
            if dept is not None and key is not None and pools.get(key) and rng.random() < 0.75:
                raw = pools[key].pop()
            elif generic:
                raw, dept = generic.pop(), None
            else:
                continue
            author = self.pick_public(parent.dept, exclude=(parent.author,))
            when = self.sample_after(parent.time, 2.0)
            text, links = self.finish(raw, author, dept, ensure=False)
            self.add(
                author,
                when,
                _reply_prefix(author, parent, parent) + text,
                kind="reply",
                dept=dept,
                parent=parent,
                root=parent,
                links=links,
                label="reply",
                lang="und" if not re.search(r"[A-Za-z]", raw) else "en",
            )
            made += 1
        # quote tweets
        comments = {k: list(v) for k, v in QUOTE_COMMENTS.items()}
        for pool in comments.values():
            rng.shuffle(pool)
        targets, weights = self.targets(for_retweet=False)
        quoters = [u for u in self.users if u.kind in ("mp", "journalist", "charity", "union")]
        made = 0
        while made < 34:
            quoted = rng.choices(targets, weights)[0]
            if quoted.dept is None or quoted.time > END - timedelta(hours=2):
                continue
            emerging = quoted.dept == "desnz" and quoted.label.startswith(
                ("emerging", "campaign-emerging")
            )
            key = "desnz-w47" if emerging and quoted.time >= WEEK47 else quoted.dept
            if not comments.get(key):
                continue
            raw = comments[key].pop()
            if rng.random() < 0.25:
                aligned = [u for u in quoters if quoted.dept in u.depts and u is not quoted.author]
                author = rng.choice(aligned) if aligned else self.pick_public(quoted.dept)
            else:
                author = self.pick_public(quoted.dept, exclude=(quoted.author,))
            when = self.sample_after(quoted.time, 3.0)
            text, links = self.finish(raw, author, quoted.dept)
            tco = "https://t.co/" + self.code()
            links.append((tco, "QUOTED"))
            self.add(
                author,
                when,
                f"{text} {tco}",
                kind="quote",
                dept=quoted.dept,
                parent=quoted,
                links=links,
                label="quote",
            )
            made += 1

    def build_retweets(self) -> None:
        rng = self.rng
        n_other = len(self.posts)
        n_rt = round(n_other * RETWEET_SHARE / (1 - RETWEET_SHARE))
        targets, weights = self.targets(for_retweet=True)
        seen: set[tuple[int, int]] = set()
        amplifiers = [u for u in self.users if u.kind in ("mp", "journalist", "charity", "union")]
        made = 0
        while made < n_rt:
            original = rng.choices(targets, weights)[0]
            if original.time > END - timedelta(minutes=30):
                continue
            if rng.random() < 0.15:
                aligned = [
                    u for u in amplifiers if original.dept in u.depts and u is not original.author
                ]
                if not aligned:
                    continue
                retweeter = rng.choice(aligned)
            else:
                retweeter = self.pick_public(
                    original.dept,
                    exclude=(original.author,),
                    lang="en" if original.lang == "en" else original.author.lang,
                )
            key = (original.seq, self.users.index(retweeter))
            if key in seen or retweeter is original.author:
                continue
            seen.add(key)
            when = self.sample_after(original.time, 3.0)
            self.add(
                retweeter,
                when,
                _rt_text(original),
                kind="retweet",
                dept=original.dept,
                parent=original,
                lang=original.lang,
                label="retweet",
            )
            made += 1
        # Every account should appear at least once: idle members of the public take over some retweets.
        posts_by = Counter(id(p.author) for p in self.posts)
        idle = [u for u in self.users if posts_by[id(u)] == 0]
        rts = [p for p in self.posts if p.kind == "retweet" and p.author.kind == "public"]
        rng.shuffle(rts)
        for user in idle:
            for rt in rts:
                assert rt.parent is not None
                if (
                    rt.parent.author is not user
                    and posts_by[id(rt.author)] > 1  # never leave the old retweeter idle
                    and (rt.parent.seq, self.users.index(user)) not in seen
                ):
                    seen.add((rt.parent.seq, self.users.index(user)))
                    rts.remove(rt)
                    posts_by[id(rt.author)] -= 1
                    posts_by[id(user)] += 1
                    rt.author = user
                    break
        assert all(posts_by[id(u)] > 0 for u in self.users), "an account has no posts"

    # ----- ids and metrics
    def assign_ids(self) -> None:
        self.posts.sort(key=lambda p: (p.time, p.seq))
        prev = 0
        for p in self.posts:
            sid = self.snowflake(p.time)
            sid = max(sid, prev + 1)
            prev = sid
            p.id = str(sid)
            assert len(p.id) == 19
        for p in self.posts:
            if p.parent is not None:
                assert p.parent.time < p.time, (p.text, p.parent.text)
                if p.kind == "retweet":
                    p.parent.n_rt += 1
                elif p.kind == "reply":
                    p.parent.n_reply += 1
                else:
                    p.parent.n_quote += 1

    def compute_metrics(self) -> None:
        rng = self.rng
        for p in self.posts:
            u = p.author
            if p.kind == "retweet":
                p.metrics = {
                    "retweet_count": 0,
                    "reply_count": 0,
                    "like_count": 0,
                    "quote_count": 0,
                    "bookmark_count": 0,
                    "impression_count": int(u.followers * rng.uniform(0.01, 0.06)),
                }
                continue
            base = max(1.5, u.followers**0.55 * 0.35)
            if p.kind == "reply":
                base = max(1.0, base * 0.15)
            if p.label in ("spike", "emerging"):
                base *= 2.0
            if p.label.startswith("noise"):
                base *= 0.6
            likes = int(rng.lognormvariate(math.log(base), 0.8)) + 3 * p.n_rt + p.n_reply
            if p.label == "hostile":
                # It went viral: among the week's most engaged, so the digest quotes it
                # (and has to escape it).
                likes = 1180
            rts = p.n_rt + int(likes * rng.uniform(0.03, 0.2))
            p.metrics = {
                "retweet_count": rts,
                "reply_count": p.n_reply + int(likes * rng.uniform(0.0, 0.08)),
                "like_count": likes,
                "quote_count": p.n_quote + int(rts * rng.uniform(0.0, 0.1)),
                "bookmark_count": int(likes * rng.uniform(0.0, 0.06)),
                "impression_count": int(
                    u.followers * rng.uniform(0.02, 0.12) + likes * rng.uniform(25, 60)
                )
                + rng.randint(8, 60),
            }

    # ----- rendering
    def tweet_json(self, p: Post) -> dict[str, Any]:
        links = [(tco, _quote_url(p.parent) if exp == "QUOTED" else exp) for tco, exp in p.links]
        obj: dict[str, Any] = {
            "id": p.id,
            "text": p.text,
            "author_id": p.author.id,
            "created_at": p.time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conversation_id": (p.root.id if p.root is not None and p.kind == "reply" else p.id),
            "lang": p.lang,
            "public_metrics": p.metrics,
        }
        entities = self.entities(p.text, links if p.kind != "retweet" else _rt_links(p))
        if entities:
            obj["entities"] = entities
        if p.full_text is not None:
            note: dict[str, object] = {"text": p.full_text}
            note_entities = self.entities(p.full_text, links)
            if note_entities:
                note["entities"] = note_entities
            obj["note_tweet"] = note
        if p.parent is not None:
            ref_type = {"retweet": "retweeted", "reply": "replied_to", "quote": "quoted"}[p.kind]
            obj["referenced_tweets"] = [{"type": ref_type, "id": p.parent.id}]
            if p.kind == "reply":
                obj["in_reply_to_user_id"] = p.parent.author.id
        obj["possibly_sensitive"] = False
        obj["reply_settings"] = "everyone"
        obj["edit_history_tweet_ids"] = [p.id]
        return obj

    def entities(
        self, text: str, links: list[tuple[str, str]]
    ) -> dict[str, list[dict[str, object]]]:
        out: dict[str, list[dict[str, object]]] = {}
        url_spans: list[tuple[int, int]] = []
        urls = []
        for tco, expanded in links:
            start = text.find(tco)
            if start < 0:
                continue
            end = start + len(tco)
            url_spans.append((start, end))
            display = re.sub(r"^https?://(www\.)?", "", expanded)
            if len(display) > 26:
                display = display[:25] + ELLIPSIS
            urls.append(
                {
                    "start": start,
                    "end": end,
                    "url": tco,
                    "expanded_url": expanded,
                    "display_url": display,
                }
            )
        hashtags = [
            {"start": m.start(), "end": m.end(), "tag": m.group(1)}
            for m in re.finditer(r"(?<![\w&/])#(\w*[^\W\d]\w*)", text)
            if not any(s <= m.start() < e for s, e in url_spans)
        ]
        mentions = []
        for m in re.finditer(r"(?<![\w@])@(\w{1,15})(?!\w)", text):
            user = self.by_name.get(m.group(1))
            if user is not None:
                mentions.append(
                    {"start": m.start(), "end": m.end(), "username": user.username, "id": user.id}
                )
        if hashtags:
            out["hashtags"] = hashtags
        if mentions:
            out["mentions"] = mentions
        if urls:
            out["urls"] = urls
        return out

    def user_json(self, u: User) -> dict[str, object]:
        return {
            "id": u.id,
            "name": u.name,
            "username": u.username,
            "created_at": u.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "description": u.description,
            "location": u.location,
            "verified": u.verified_type != "none",
            "verified_type": u.verified_type,
            "protected": False,
            "public_metrics": {
                "followers_count": u.followers,
                "following_count": u.following,
                "tweet_count": u.tweet_count,
                "listed_count": u.listed,
                "like_count": u.likes,
            },
            "profile_image_url": u.image,
            "url": u.url,
        }

    def pages(self) -> list[dict[str, object]]:
        newest_first = sorted(self.posts, key=lambda p: int(p.id), reverse=True)
        by_id = {p.id: p for p in self.posts}
        users_by_id = {u.id: u for u in self.users}
        chunks = [newest_first[i : i + PAGE_SIZE] for i in range(0, len(newest_first), PAGE_SIZE)]
        tokens = [
            "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(46))
            for _ in chunks
        ]
        out = []
        for n, chunk in enumerate(chunks):
            data = [self.tweet_json(p) for p in chunk]
            included: dict[str, dict[str, object]] = {}
            queue = [p.parent for p in chunk if p.parent is not None]
            while queue:  # referenced tweets, and what those reference in turn
                ref = queue.pop(0)
                assert ref is not None
                if ref.id in included:
                    continue
                included[ref.id] = self.tweet_json(ref)
                if ref.parent is not None:
                    queue.append(ref.parent)
            user_ids: dict[str, None] = {}
            for obj in [*data, *included.values()]:
                user_ids[str(obj["author_id"])] = None
                if "in_reply_to_user_id" in obj:
                    user_ids[str(obj["in_reply_to_user_id"])] = None
                for ent in (obj.get("entities") or {}).get("mentions", []):
                    user_ids[str(ent["id"])] = None
            page: dict[str, object] = {
                "data": data,
                "includes": {
                    "users": [self.user_json(users_by_id[uid]) for uid in user_ids],
                    "tweets": list(included.values()),
                },
                "meta": {
                    "newest_id": chunk[0].id,
                    "oldest_id": chunk[-1].id,
                    "result_count": len(chunk),
                },
            }
            if n < len(chunks) - 1:
                page["meta"]["next_token"] = tokens[n]  # type: ignore[index]
            page["__twarc"] = {
                "url": _search_url(tokens[n - 1] if n else None),
                "version": TWARC_VERSION,
                "retrieved_at": (RETRIEVED_AT + timedelta(seconds=2 * n)).isoformat(),
            }
            assert all(t["id"] in by_id for t in data)
            out.append(page)
        return out

    def run(self) -> None:
        self.build_users()
        self.build_originals()
        self.build_threads()
        self.build_replies_and_quotes()
        self.build_retweets()
        self.assign_ids()
        self.compute_metrics()


HOUR_WEIGHTS = [
    1.0,
    0.6,
    0.35,
    0.25,
    0.25,
    0.45,
    1.4,
    3.4,
    4.8,
    5.0,
    4.6,
    4.5,
    5.2,
    5.0,
    4.2,
    4.1,
    4.5,
    5.0,
    5.6,
    6.0,
    6.2,
    5.3,
    3.6,
    2.1,
]


def _hour_weight(t: datetime) -> float:
    return HOUR_WEIGHTS[t.hour] * (0.8 if t.weekday() >= 5 else 1.0)


def _dept_of(text: str, author: User | None) -> str:
    found = MATCHER.match(text.replace("{url}", ""), author.username if author else "")
    if found:
        return found[0]
    assert author is not None, text
    return author.depts[0]


def _reply_prefix(author: User, parent: Post, root: Post) -> str:
    names = []
    for u in (parent.author, root.author):
        if u is not author and u.username not in names:
            names.append(u.username)
    return "".join(f"@{n} " for n in names)


def _rt_text(original: Post) -> str:
    full = f"RT @{original.author.username}: {original.text}"
    if len(full) <= 140:
        return full
    cut = full[:139]
    cut = cut[: cut.rfind(" ")].rstrip(" ,.;:") if " " in cut[12:] else cut
    return cut + ELLIPSIS


def _rt_links(p: Post) -> list[tuple[str, str]]:
    assert p.parent is not None
    return [(tco, exp) for tco, exp in p.parent.links if exp != "QUOTED"]


def _quote_url(quoted: Post | None) -> str:
    assert quoted is not None
    return f"https://twitter.com/{quoted.author.username}/status/{quoted.id}"


def _search_url(next_token: str | None) -> str:
    hashtags = [t for w in WATCHES.values() for t in w["hashtags"]]
    keywords = [f'"{k}"' for w in WATCHES.values() for k in w["keywords"]]
    params = {
        "expansions": "author_id,entities.mentions.username,in_reply_to_user_id,referenced_tweets.id,referenced_tweets.id.author_id,edit_history_tweet_ids,attachments.poll_ids,attachments.media_keys,geo.place_id",
        "tweet.fields": "attachments,author_id,context_annotations,conversation_id,created_at,edit_controls,edit_history_tweet_ids,entities,geo,id,in_reply_to_user_id,lang,note_tweet,possibly_sensitive,public_metrics,referenced_tweets,reply_settings,source,text,withheld",
        "user.fields": "created_at,description,entities,id,location,name,pinned_tweet_id,profile_image_url,protected,public_metrics,url,username,verified,verified_type,withheld",
        "query": " OR ".join(hashtags + keywords),
        "start_time": "2026-11-09T00:00:00Z",
        "end_time": "2026-11-23T00:00:00Z",
        "max_results": "100",
    }
    if next_token:
        params["next_token"] = next_token
    return "https://api.twitter.com/2/tweets/search/all?" + urllib.parse.urlencode(params)


# ---------------------------------------------------------------------------
# Consultation responses
# ---------------------------------------------------------------------------


def consultation_csv(rng: random.Random) -> tuple[str, Counter[tuple[str, str]]]:
    rows = []
    for consultation, prefix, responses, start, end in (
        (
            CONSULTATION_MHCLG,
            "RR",
            RESPONSES_MHCLG,
            datetime(2026, 11, 2, 9, 0),
            datetime(2026, 11, 22, 23, 0),
        ),
        (
            CONSULTATION_DFE,
            "EH",
            RESPONSES_DFE,
            datetime(2026, 11, 9, 9, 0),
            datetime(2026, 11, 22, 23, 0),
        ),
    ):
        order = list(responses)
        rng.shuffle(order)
        times = []
        for _ in order:
            while True:
                t = start + timedelta(
                    minutes=rng.randrange(int((end - start).total_seconds() // 60))
                )
                if rng.random() * max(HOUR_WEIGHTS) <= HOUR_WEIGHTS[t.hour]:
                    times.append(t)
                    break
        times.sort()
        for n, ((rtype, org, text), t) in enumerate(zip(order, times, strict=True), start=1):
            rows.append(
                (f"{prefix}-{n:04d}", t.strftime("%Y-%m-%d %H:%M"), rtype, org, consultation, text)
            )
    rows.sort(key=lambda r: (r[1], r[0]))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "response_id",
            "submitted_at",
            "respondent_type",
            "organisation",
            "consultation",
            "response_text",
        ]
    )
    writer.writerows(rows)
    counts: Counter[tuple[str, str]] = Counter((r[4], r[2]) for r in rows)
    return buf.getvalue(), counts


# ---------------------------------------------------------------------------
# Checks and summary
# ---------------------------------------------------------------------------


def validate(pages_text: str) -> None:
    """Every line is a JSON page whose authors and referenced tweets resolve within the page."""
    seen: set[str] = set()
    for number, line in enumerate(pages_text.splitlines(), start=1):
        page = json.loads(line)
        tweets = {t["id"]: t for t in page["includes"]["tweets"]}
        tweets.update({t["id"]: t for t in page["data"]})
        users = {u["id"] for u in page["includes"]["users"]}
        ids = [t["id"] for t in page["data"]]
        assert ids == sorted(ids, key=int, reverse=True), f"page {number} not newest first"
        assert page["meta"]["result_count"] == len(ids)
        for t in [*page["data"], *page["includes"]["tweets"]]:
            assert t["author_id"] in users, (number, t["id"], "author")
            for ref in t.get("referenced_tweets", []):
                assert ref["id"] in tweets, (number, t["id"], ref)
            if "in_reply_to_user_id" in t:
                assert t["in_reply_to_user_id"] in users
            for key in ("entities",):
                for kind, ents in t.get(key, {}).items():
                    for e in ents:
                        span = t["text"][e["start"] : e["end"]]
                        expected = {
                            "hashtags": "#" + e.get("tag", ""),
                            "mentions": "@" + e.get("username", ""),
                            "urls": e.get("url"),
                        }[kind]
                        assert span == expected, (t["id"], kind, span, expected)
                        if kind == "mentions":
                            assert e["id"] in users
            if "note_tweet" in t:
                for ents in t["note_tweet"].get("entities", {}).values():
                    for e in ents:
                        span = t["note_tweet"]["text"][e["start"] : e["end"]]
                        assert span.lstrip("#@") in (
                            e.get("tag"),
                            e.get("username"),
                            e.get("url", "").lstrip("#@"),
                        ), span
        for tid in ids:
            assert tid not in seen, f"duplicate tweet {tid}"
            seen.add(tid)


def summary(gen: Generator, csv_counts: Counter[tuple[str, str]]) -> str:
    posts = sorted(gen.posts, key=lambda p: p.time)
    matched = {p.id: MATCHER.match(p.match_text, p.author.username) for p in posts}
    lines: list[str] = []
    add = lines.append
    week = lambda p: "2026-W46" if p.time < WEEK47 else "2026-W47"  # noqa: E731
    kinds = Counter(p.kind for p in posts)
    add(
        f"Posts: {len(posts)} ({kinds['original']} original, {kinds['retweet']} retweets, {kinds['reply']} replies, {kinds['quote']} quotes) in {math.ceil(len(posts) / PAGE_SIZE)} pages"
    )
    by_week = Counter(week(p) for p in posts)
    add(f"By week: 2026-W46 {by_week['2026-W46']}, 2026-W47 {by_week['2026-W47']}")
    no_match = [p for p in posts if not matched[p.id]]
    multi = [p for p in posts if len(matched[p.id]) > 1]
    add(
        f"Matching no department: {len(no_match)} ({100 * len(no_match) / len(posts):.1f}%); matching two or more: {len(multi)}"
    )
    langs = Counter(p.lang for p in posts if p.lang != "en")
    add(
        "Not English: "
        + ", ".join(f"{k} {v}" for k, v in sorted(langs.items()))
        + f" (originals: {sum(1 for p in posts if p.lang not in ('en', 'und') and p.kind != 'retweet')})"
    )
    add(
        f"Users: {len(gen.users)} ("
        + ", ".join(f"{k} {v}" for k, v in Counter(u.kind for u in gen.users).items())
        + ")"
    )
    add("")
    add("| department | 2026-W46 | 2026-W47 | total |")
    add("| --- | ---: | ---: | ---: |")
    for d in DEPARTMENTS:
        w = Counter(week(p) for p in posts if d in matched[p.id])
        add(f"| {d} | {w['2026-W46']} | {w['2026-W47']} | {sum(w.values())} |")
    add("")
    kind_names = ["government", "mp", "journalist", "charity", "union", "business", "public"]
    add("| department | " + " | ".join(kind_names) + " |")
    add("| --- |" + " ---: |" * len(kind_names))
    for d in DEPARTMENTS:
        c = Counter(p.author.kind for p in posts if d in matched[p.id])
        add(f"| {d} | " + " | ".join(str(c[k]) for k in kind_names) + " |")
    add("")
    days = [(START + timedelta(days=i)).date() for i in range(14)]
    add("| day | " + " | ".join(DEPARTMENTS) + " | all posts |")
    add("| --- |" + " ---: |" * (len(DEPARTMENTS) + 1))
    for day in days:
        on_day = [p for p in posts if p.time.date() == day]
        cells = [str(sum(1 for p in on_day if d in matched[p.id])) for d in DEPARTMENTS]
        add(f"| {day:%a %d %b} | " + " | ".join(cells) + f" | {len(on_day)} |")
    add("")
    sc = Counter(week(p) for p in posts if "standing charge" in normalise(p.match_text))
    tag = Counter(week(p) for p in posts if "#standingcharges" in tokenize(p.match_text))
    add(
        f"Emerging theme (desnz, standing charge): posts mentioning it W46 {sc['2026-W46']}, W47 {sc['2026-W47']}; #StandingCharges W46 {tag['2026-W46']}, W47 {tag['2026-W47']}"
    )
    hostile = next(p for p in posts if p.label == "hostile")
    longs = [p for p in posts if p.full_text is not None]
    add(
        f"Hostile post: {hostile.id} (@{hostile.author.username}, {hostile.time:%Y-%m-%d %H:%M} UTC)"
    )
    for p in longs:
        add(
            f"Long post: {p.id} (@{p.author.username}, {len(p.full_text or '')} characters, {p.time:%Y-%m-%d})"
        )
    threads = [p for p in posts if p.kind == "reply" and p.label == "thread"]
    depth = Counter(p.root.id for p in threads if p.root is not None)
    add(
        "Threads (posts incl. root): "
        + ", ".join(str(n + 1) for n in sorted(depth.values(), reverse=True))
    )
    add("")
    add(
        "Consultation responses: "
        + "; ".join(
            f"{c}: "
            + ", ".join(f"{t} {n}" for (cc, t), n in sorted(csv_counts.items()) if cc == c)
            + f" (total {sum(n for (cc, _), n in csv_counts.items() if cc == c)})"
            for c in (CONSULTATION_MHCLG, CONSULTATION_DFE)
        )
    )
    add(f"(hashtags appended to make {gen.fixups} hand-written posts match their department)")
    return "\n".join(lines)


def generate() -> tuple[dict[str, str], str]:
    gen = Generator(SEED)
    gen.run()
    pages = gen.pages()
    posts_text = "".join(json.dumps(page) + "\n" for page in pages)  # exactly as twarc2 writes
    validate(posts_text)
    csv_text, csv_counts = consultation_csv(random.Random(SEED + 1))
    return {POSTS_FILE: posts_text, CSV_FILE: csv_text}, summary(gen, csv_counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the files on disk differ from a fresh run"
    )
    parser.add_argument(
        "--out", type=Path, default=SAMPLE_DIR, help="output folder (default: listener/sample)"
    )
    args = parser.parse_args(argv)
    files, text = generate()
    if args.check:
        stale = [
            name
            for name, content in files.items()
            if not (args.out / name).exists()
            or (args.out / name).read_bytes() != content.encode("utf-8")
        ]
        if stale:
            print("out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        print("sample data is up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.out / name).write_bytes(content.encode("utf-8"))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
